package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestChangePct(t *testing.T) {
	cases := []struct {
		value, previous float64
		want            *float64
	}{
		{150, 100, ptr(50)},
		{50, 100, ptr(-50)},    // a drop is negative
		{0, 80, ptr(-100)},     // to nothing
		{5, 0, nil},            // from nothing: no percentage
		{0, 0, nil},            // nothing at all
		{-50, -100, ptr(50)},   // a smaller loss is an improvement
		{-150, -100, ptr(-50)}, // a bigger loss is a decline
		{4, 3, ptr(33.33)},     // rounded to 0.01
	}
	for _, c := range cases {
		got := ChangePct(c.value, c.previous)
		switch {
		case (got == nil) != (c.want == nil):
			t.Errorf("ChangePct(%v, %v) = %v, want %v", c.value, c.previous, fmtPtr(got), fmtPtr(c.want))
		case got != nil && *got != *c.want:
			t.Errorf("ChangePct(%v, %v) = %v, want %v", c.value, c.previous, *got, *c.want)
		}
	}
	if m := NewMetric("k", "K", UnitCount, 10, 0, true); m.ChangePct != nil {
		t.Error("NewMetric with previous 0 has a change")
	}
}

func ptr(v float64) *float64 { return &v }

func fmtPtr(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

// The section JSON is API.md's shape: lists are [] not null, change_pct is null when unknown.
func TestSectionJSON(t *testing.T) {
	s := ok(ProviderDemo)
	s.Metrics = append(s.Metrics, NewMetric("visitors", "Visitors", UnitCount, 10, 0, true))
	s.Series = nil
	out, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"provider":"demo","status":"ok","metrics":[{"key":"visitors","label":"Visitors","value":10,"previous":0,"change_pct":null,"unit":"count","higher_is_better":true}],"series":[]}`
	if string(out) != want {
		t.Errorf("JSON\n got %s\nwant %s", out, want)
	}
	failed, _ := json.Marshal(Failed(ProviderStripe, &Error{Provider: ProviderStripe, Kind: ErrReauth, Message: "Reconnect Stripe: access was revoked or has expired."}))
	if !hasAll(string(failed), `"status":"failed"`, `"error":"Reconnect Stripe: access was revoked or has expired."`, `"metrics":[]`) {
		t.Errorf("failed section JSON %s", failed)
	}
}

func TestMessageHidesInternals(t *testing.T) {
	err := errors.New("dial tcp 10.0.0.1:443: secret internals")
	if msg := Message(ProviderGitHub, err); strings.Contains(msg, "10.0.0.1") || !strings.Contains(msg, "GitHub") {
		t.Errorf("Message = %q", msg)
	}
	e := &Error{Provider: ProviderGitHub, Kind: ErrTransient, Message: "GitHub is busy.", Cause: context.DeadlineExceeded}
	wrapped := errors.Join(errors.New("generate"), e)
	if !errors.Is(wrapped, ErrTransient) || errors.Is(wrapped, ErrReauth) || !errors.Is(wrapped, context.DeadlineExceeded) {
		t.Error("errors.Is does not see the kind and the cause through wrapping")
	}
	if Message(ProviderGitHub, wrapped) != "GitHub is busy." {
		t.Errorf("Message = %q", Message(ProviderGitHub, wrapped))
	}
}

func TestEachReturnsFirstFailure(t *testing.T) {
	boom := errors.New("boom")
	err := each(context.Background(), 5, 2, func(ctx context.Context, i int) error {
		if i == 1 {
			return boom
		}
		<-ctx.Done() // the others wait to be cancelled by the failure
		return ctx.Err()
	})
	if !errors.Is(err, boom) {
		t.Errorf("each = %v, want boom", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := each(ctx, 3, 1, func(context.Context, int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled each = %v", err)
	}
}
