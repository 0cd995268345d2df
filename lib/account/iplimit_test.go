package account

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Every per-IP limit counts an IPv6 client by its /64 (lib/ratelimit IPSubject).
func TestPerIPLimitsKeyIPv6ByItsSlash64(t *testing.T) {
	for _, lim := range []ratelimit.Limit{limitSignupIP, limitLoginIP, limitMFAIP} {
		if !lim.ByIP {
			t.Errorf("%s is not marked ByIP", lim.Name)
		}
	}
	s := newService(t)
	ctx := context.Background()
	for i := 0; i < int(limitSignupIP.Max); i++ {
		if err := s.limits.Allow(ctx, limitSignupIP, fmt.Sprintf("2001:db8:7:1::%x", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	in := SignupInput{Email: "v6@example.com", Password: "a long enough passphrase", Name: "Ada"}
	_, err := s.Signup(ctx, httptest.NewRecorder(), in, web.Client{IP: "2001:db8:7:1:ffff::99"})
	if problem.CodeOf(err) != "rate_limited" {
		t.Fatalf("a new address in a used-up /64: %v; want rate_limited", err)
	}
	if _, err := s.Signup(ctx, httptest.NewRecorder(), in, web.Client{IP: "2001:db8:7:2::1"}); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}
