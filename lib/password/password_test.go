package password

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/trymetriqs/metriqs/lib/problem"
)

func TestHashIsBcryptCost12(t *testing.T) {
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if cost, err := bcrypt.Cost([]byte(h)); err != nil || cost != 12 {
		t.Fatalf("cost = %d, %v", cost, err)
	}
	if strings.Contains(h, "correct horse") {
		t.Fatal("hash contains the password")
	}
	if !Matches(h, "correct horse battery") || Matches(h, "correct horse batterY") {
		t.Fatal("Matches is wrong")
	}
	if cost, _ := bcrypt.Cost([]byte(DummyHash)); cost != Cost {
		t.Fatalf("DummyHash cost = %d; it must cost what a real check costs", cost)
	}
}

// bcrypt reads at most 72 bytes. Two passwords that share their first 72 bytes must still be
// told apart — ASCII and multi-byte alike.
func TestNoTruncationAt72Bytes(t *testing.T) {
	cases := []struct{ a, b string }{
		{strings.Repeat("a", 72) + "X", strings.Repeat("a", 72) + "Y"},
		{strings.Repeat("a", 71) + "bc", strings.Repeat("a", 71) + "bd"},
		{strings.Repeat("é", 36) + "1", strings.Repeat("é", 36) + "2"}, // 72 bytes + 1
		{strings.Repeat("🔑", 20) + "x", strings.Repeat("🔑", 20) + "y"}, // 80 bytes + 1
	}
	for _, c := range cases {
		h, err := Hash(c.a)
		if err != nil {
			t.Fatal(err)
		}
		if !Matches(h, c.a) {
			t.Errorf("%d-byte password does not match itself", len(c.a))
		}
		if Matches(h, c.b) {
			t.Errorf("passwords differing after byte 72 collide (%d bytes)", len(c.a))
		}
	}
}

func TestCheck(t *testing.T) {
	cases := []struct {
		pw, email, code string
	}{
		{"seven77", "", "weak_password"},
		{"eight888", "", ""},
		{"ÉéÉéÉéÉé", "", ""},              // 8 characters, 16 bytes
		{"🔑🔑🔑🔑🔑🔑🔑", "", "weak_password"},  // 7 characters, 28 bytes
		{strings.Repeat("ü", 64), "", ""}, // 64 characters, 128 bytes: beyond bcrypt's 72
		{strings.Repeat("x", 128), "", ""},
		{strings.Repeat("x", 129), "", "weak_password"},
		{"Password123", "", "weak_password"},
		{"qwertyuiop", "", "weak_password"},
		{"ada@example.com", "ada@example.com", "weak_password"},
		{"\xff\xfe\xfdabcdefgh", "", "invalid_request"},
	}
	for _, c := range cases {
		err := Check("password", c.pw, c.email)
		if got := problem.CodeOf(err); got != c.code {
			t.Errorf("Check(%q) code = %q, want %q (%v)", c.pw, got, c.code, err)
		}
		if p, ok := problem.As(err); ok && p.Field != "password" {
			t.Errorf("Check(%q) field = %q", c.pw, p.Field)
		}
	}
}

// BenchmarkMatches is what one sign-in costs in CPU: one bcrypt-12 comparison.
func BenchmarkMatches(b *testing.B) {
	h, _ := Hash("correct horse battery")
	for b.Loop() {
		Matches(h, "correct horse battery")
	}
}
