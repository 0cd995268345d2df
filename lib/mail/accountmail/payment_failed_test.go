package accountmail

import (
	"context"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/mail"
)

func TestPaymentFailedRenders(t *testing.T) {
	m := mail.Message{Key: "k", UserID: "u", To: "a@example.com", From: mail.FromAccount, Kind: "payment_failed",
		Data: map[string]string{"amount": "USD 29.00", "grace_ends": "9 December 2026", "url": "https://app.example/app/settings#billing"}}
	c, err := mail.Render(context.Background(), m)
	if err != nil || !strings.Contains(c.Subject, "payment failed") || !strings.Contains(c.Text, "https://app.example/app/settings#billing") ||
		!strings.Contains(c.Text, "USD 29.00") || !strings.Contains(c.Text, "9 December 2026") {
		t.Fatalf("%v %q\n%s", err, c.Subject, c.Text)
	}
	delete(m.Data, "url")
	if _, err := mail.Render(context.Background(), m); err == nil {
		t.Fatal("a payment notice without its link rendered")
	}
}
