package account

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/password"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

func newService(t testing.TB) *Service {
	t.Helper()
	ring, err := config.ParseKeyRing("k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.New(ring)
	if err != nil {
		t.Fatal(err)
	}
	return New(session.NewManager(storetest.New(t), ring, true, time.Now), sealer, ring)
}

func TestNormalizeEmail(t *testing.T) {
	ok := map[string]string{
		"ada@example.com":              "ada@example.com",
		"  Ada.Lovelace@Example.COM ":  "ada.lovelace@example.com",
		"ada+reports@mail.example.org": "ada+reports@mail.example.org",
	}
	for in, want := range ok {
		if got, err := NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ada", "ada@", "@example.com", "ada@localhost", "Ada <ada@example.com>", "ada@exa mple.com", "a@b@c.com"} {
		if _, err := NormalizeEmail(bad); problem.CodeOf(err) != "invalid_email" {
			t.Errorf("NormalizeEmail(%q) err = %v, want invalid_email", bad, err)
		}
	}
	if _, err := NormalizeEmail("   "); problem.CodeOf(err) != "invalid_request" {
		t.Errorf("blank e-mail: %v", err)
	}
}

// Of several concurrent signups for one address (in any letter case), exactly one wins, and
// the losers leave nothing behind.
func TestConcurrentSignupOneWins(t *testing.T) {
	svc := newService(t)
	emails := []string{"race@example.com", "RACE@example.com", "Race@Example.com", " race@example.com"}
	var wg sync.WaitGroup
	errs := make([]error, len(emails))
	for i, e := range emails {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Signup(context.Background(), httptest.NewRecorder(), SignupInput{Email: e, Password: "a long enough passphrase"}, web.Client{IP: "198.51.100.1"})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case problem.CodeOf(err) != "email_taken":
			t.Errorf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d signups won", wins)
	}
	users := 0
	for _, k := range storetest.Keys(t, svc.st) {
		if len(k) == len(svc.userKey(""))+26 && k[:len(svc.userKey(""))] == svc.userKey("") {
			users++
		}
	}
	if users != 1 {
		t.Fatalf("%d user records stored", users)
	}
}

// An unknown e-mail costs the same bcrypt work as a known one: it is compared against a
// cost-12 dummy hash.
func TestLoginUnknownEmailComparesDummyHash(t *testing.T) {
	svc := newService(t)
	var compared []string
	svc.matches = func(hash, pw string) bool { compared = append(compared, hash); return password.Matches(hash, pw) }
	ctx := context.Background()
	c := web.Client{IP: "198.51.100.2"}
	if _, err := svc.Signup(ctx, httptest.NewRecorder(), SignupInput{Email: "known@example.com", Password: "a long enough passphrase"}, c); err != nil {
		t.Fatal(err)
	}
	_, errUnknown := svc.Login(ctx, httptest.NewRecorder(), LoginInput{Email: "nobody@example.com", Password: "a long enough passphrase"}, c)
	_, errWrong := svc.Login(ctx, httptest.NewRecorder(), LoginInput{Email: "known@example.com", Password: "not the passphrase"}, c)
	_, errMalformed := svc.Login(ctx, httptest.NewRecorder(), LoginInput{Email: "not-an-address", Password: "x"}, c)
	for _, err := range []error{errUnknown, errWrong, errMalformed} {
		if err != ErrInvalidCredentials {
			t.Fatalf("err = %v, want invalid_credentials", err)
		}
	}
	if len(compared) != 3 || compared[0] != password.DummyHash || compared[1] == password.DummyHash || compared[2] != password.DummyHash {
		t.Fatalf("compared hashes: %v", compared)
	}
}

// Parallel wrong passwords for one account: the attempt is counted before the hash is
// compared, so at most limitLoginAccount.Max are compared, whatever the interleaving; a
// correct one in the burst does not reset the count.
func TestLoginBurstComparesAtMostMax(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	if _, err := svc.Signup(ctx, httptest.NewRecorder(), SignupInput{Email: "burst@example.com", Password: "a long enough passphrase"}, web.Client{IP: "198.51.100.3"}); err != nil {
		t.Fatal(err)
	}
	// Only wrong passwords are counted: the right one, once it succeeds, gives back its own
	// attempt, so it may let one more wrong guess through, but never more than Max wrong ones.
	var compared atomic.Int64
	svc.matches = func(hash, pw string) bool {
		if pw == "a long enough passphrase" {
			return true
		}
		compared.Add(1)
		return false
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			pw := "wrong"
			if i == 5 {
				pw = "a long enough passphrase"
			}
			_, _ = svc.Login(ctx, httptest.NewRecorder(), LoginInput{Email: "burst@example.com", Password: pw}, web.Client{IP: fmt.Sprintf("198.51.100.%d", 10+i)})
		}()
	}
	close(start)
	wg.Wait()
	if n := compared.Load(); n > limitLoginAccount.Max {
		t.Fatalf("%d wrong passwords compared in a burst of 20; the limit is %d", n, limitLoginAccount.Max)
	}
	if _, err := svc.Login(ctx, httptest.NewRecorder(), LoginInput{Email: "burst@example.com", Password: "wrong"}, web.Client{IP: "198.51.100.99"}); problem.CodeOf(err) != "rate_limited" {
		t.Fatalf("after the burst: %v, want rate_limited", err)
	}
}
