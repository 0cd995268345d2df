package qr

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"

	"github.com/boombuler/barcode/qr"
)

const uri = "otpauth://totp/Metriqs:ada@example.com?algorithm=SHA1&digits=6&issuer=Metriqs&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// The data URL is a 256×256 PNG whose modules are those of the URI's QR code.
func TestDataURL(t *testing.T) {
	u, err := DataURL(uri)
	if err != nil {
		t.Fatal(err)
	}
	b64, ok := strings.CutPrefix(u, "data:image/png;base64,")
	if !ok {
		t.Fatalf("not a PNG data URL: %.40s", u)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != Size || b.Dy() != Size {
		t.Fatalf("image %v, want %d×%d", b, Size, Size)
	}
	code, err := qr.Encode(uri, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	n := code.Bounds().Dx()
	for _, m := range [][2]int{{0, 0}, {n / 2, n / 2}, {n - 1, 0}, {3, n - 5}} {
		// The module's centre in the scaled image (it is centred, integer scale).
		scale := Size / n
		off := (Size - n*scale) / 2
		x, y := off+m[0]*scale+scale/2, off+m[1]*scale+scale/2
		want, _, _, _ := code.At(m[0], m[1]).RGBA()
		got, _, _, _ := img.At(x, y).RGBA()
		if got != want {
			t.Errorf("module %v: pixel %d, want %d", m, got, want)
		}
	}
}

func TestDataURLRefusesOtherURIs(t *testing.T) {
	if _, err := DataURL("%zz"); err == nil {
		t.Fatal("a malformed URI was drawn")
	}
}
