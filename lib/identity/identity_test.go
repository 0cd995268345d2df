package identity

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/problem"
)

func wantErr(t *testing.T, what, in string, err error, code, field string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != code || p.Field != field {
		t.Errorf("%s(%q) err = %v, want %s naming %q", what, in, err, code, field)
	}
}

func TestEmailNormalizes(t *testing.T) {
	for in, want := range map[string]string{
		"ada@example.com":               "ada@example.com",
		"  Ada.Lovelace@Example.COM \n": "ada.lovelace@example.com",
		"ada+reports@mail.example.org":  "ada+reports@mail.example.org",
		"ｘ@example.com":                 "x@example.com",         // fullwidth x
		"ＡＤＡ＠ＥＸＡＭＰＬＥ．ＣＯＭ":               "ada@example.com",       // fullwidth everything, @ and . too
		"cafe\u0301@example.com":        "caf\u00e9@example.com", // combining acute → precomposed (NFKC composes)
		"caf\u00e9@example.com":         "caf\u00e9@example.com",
		"CAF\u00c9@example.com":         "caf\u00e9@example.com",
		"\u0434\u0430@example.com":      "\u0434\u0430@example.com", // Cyrillic да stays Cyrillic: NFKC does not fold confusables (UTS 39)
		"ada@xn--mnchen-3ya.example":    "ada@xn--mnchen-3ya.example",
		"\ufb01@example.com":            "fi@example.com",   // compatibility forms fold (NFKC): ligature ﬁ
		"\u2460@example.com":            "1@example.com",    // circled digit one
		"\u210cada@example.com":         "hada@example.com", // ℌ
		"ada@ｅｘａｍｐｌｅ.com":               "ada@example.com",
		"\u05d0\u05d1@example.com":      "\u05d0\u05d1@example.com", // Hebrew
		"\u0130@example.com":            "i@example.com",            // İ: Unicode simple lower-casing (strings.ToLower)
	} {
		got, err := Email(in)
		if err != nil || got != want {
			t.Errorf("Email(%q) = %q, %v; want %q", in, got, err, want)
		}
		if again, err := Email(got); err != nil || again != got {
			t.Errorf("Email is not idempotent on %q: %q, %v", got, again, err)
		}
	}
}

// Control and format characters are refused, not stripped: stripping would make
// "ad\u200ba@x.com" another spelling of ada@x.com that the person never typed.
func TestEmailRefusesInvisibleAndControlCharacters(t *testing.T) {
	for name, in := range map[string]string{
		"bidi override (RLO)":   "ada\u202e@example.com",
		"bidi isolate":          "ada\u2067@example.com",
		"left-to-right mark":    "ada\u200e@example.com",
		"zero-width space":      "a\u200bda@example.com",
		"zero-width joiner":     "a\u200dda@example.com",
		"zero-width non-joiner": "a\u200cda@example.com",
		"word joiner":           "ada\u2060@example.com",
		"byte-order mark":       "\ufeffada@example.com",
		"soft hyphen":           "a\u00adda@example.com",
		"NUL":                   "ada\x00@example.com",
		"tab inside":            "ada\t@example.com",
		"DEL":                   "ada\x7f@example.com",
		"C1 control (CSI)":      "ada\u009b@example.com",
		"line separator":        "ada\u2028x@example.com",
		"private use":           "ada\ue000@example.com",
		"invalid UTF-8":         "ada@example.com\xff",
		"U+FFFD":                "ada\ufffd@example.com",
	} {
		_, err := Email(in)
		wantErr(t, "Email", name, err, "invalid_request", "email")
	}
}

func TestEmailRefusesWhatIsNoAddress(t *testing.T) {
	for _, in := range []string{
		"ada", "ada@", "@example.com", "ada@localhost", "Ada <ada@example.com>", "ada@exa mple.com", "a@b@c.com",
		"ada\u3000@example.com",                   // ideographic space: PRECIS refuses spaces in addresses
		"\u2603@example.com",                      // a symbol (snowman)
		"\U000e0001ada@example.com" + "",          // a tag character is Cf; covered above, but also never here
		strings.Repeat("a", 250) + "@example.com", // over 254 bytes
		strings.Repeat("ａ", 70000),                // long input: refused by length before any normalization
	} {
		_, err := Email(in)
		if code := problem.CodeOf(err); code != "invalid_email" && code != "invalid_request" {
			t.Errorf("Email(%.40q) err = %v, want invalid_email", in, err)
		}
	}
	_, err := Email("   ")
	wantErr(t, "Email", "   ", err, "invalid_request", "email")
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"  Ada Lovelace  ":         "Ada Lovelace",
		"Ada\u00a0\u00a0 King":     "Ada King", // no-break spaces mapped, runs collapsed (RFC 8266 §2.1)
		"ＡＤＡ":                      "ADA",      // fullwidth folded by NFKC, case kept
		"Jose\u0301":               "Jos\u00e9",
		"\u674e\u5c0f\u9f99":       "\u674e\u5c0f\u9f99",
		"\u0645\u062d\u0645\u062f": "\u0645\u062d\u0645\u062f", // Arabic
		strings.Repeat("é", 100):   strings.Repeat("é", 100),
	} {
		if got, err := Name(in); err != nil || got != want {
			t.Errorf("Name(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for name, in := range map[string]string{
		"bidi override": "Ada\u202eecilA", "zero-width space": "Ada\u200b", "zero-width joiner": "A\u200dda",
		"soft hyphen": "Ada\u00adLovelace", "newline inside": "Ada\nLovelace", "NUL": "Ada\x00", "ESC": "Ada\x1b[31m",
		"C1 control": "Ada\u0085x", "invalid UTF-8": "Ada\xc3", "interlinear annotation": "Ada\ufff9",
	} {
		_, err := Name(in)
		wantErr(t, "Name", name, err, "invalid_request", "name")
	}
	for _, in := range []string{strings.Repeat("é", 101), strings.Repeat("e\u0301", 101), strings.Repeat("x", 100000), "Ada\U000e01f0"} {
		_, err := Name(in)
		wantErr(t, "Name", fmt.Sprintf("%.12q", in), err, "invalid_name", "name")
	}
}
