// Package qr draws the QR code of a TOTP enrolment URI as a PNG data URL. It is apart from
// lib/totp because image/png registers its decoder at init, which links it (and
// compress/zlib) into every binary importing the package: 78 KB in each account function,
// needed only by the enrolment one (docs/performance.md).
package qr

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/png"

	"github.com/pquerna/otp"
)

// Size is the width and height of the image in pixels.
const Size = 256

// DataURL returns the QR code of an otpauth:// URI as data:image/png;base64,….
func DataURL(uri string) (string, error) {
	k, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return "", fmt.Errorf("qr: %w", err)
	}
	img, err := k.Image(Size, Size)
	if err != nil {
		return "", fmt.Errorf("qr: draw: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", fmt.Errorf("qr: png: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}
