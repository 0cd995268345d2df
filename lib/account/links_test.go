package account

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/onetime"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// outbox collects what the link flows queue instead of mailing it.
type outbox struct {
	sync.Mutex
	msgs []mail.Message
}

func (o *outbox) enqueue(_ context.Context, m mail.Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	o.Lock()
	defer o.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

// of returns the messages of kind to to, in order.
func (o *outbox) of(kind, to string) []mail.Message {
	o.Lock()
	defer o.Unlock()
	var out []mail.Message
	for _, m := range o.msgs {
		if m.Kind == kind && m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// token is the token of the last kind message to to.
func (o *outbox) token(t *testing.T, kind, to string) string {
	t.Helper()
	ms := o.of(kind, to)
	if len(ms) == 0 {
		t.Fatalf("no %s mail to %s", kind, to)
	}
	u, err := url.Parse(ms[len(ms)-1].Data["url"])
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

var client = web.Client{IP: "198.51.100.7", UserAgent: "test"}

func newLinks(t *testing.T) (*Links, *outbox) {
	t.Helper()
	o := &outbox{}
	l := NewLinks(newService(t), o.enqueue, "https://app.example")
	l.resetFloor = 0
	l.unbounce = func(context.Context, string) error { return nil }
	return l, o
}

func signUp(t *testing.T, l *Links, email string) *User {
	t.Helper()
	u, err := l.Signup(context.Background(), httptest.NewRecorder(), SignupInput{Email: email, Password: "a long enough passphrase"}, client)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func hashOf(t *testing.T, l *Links, uid string) string {
	t.Helper()
	return l.st.R.HGet(context.Background(), l.userKey(uid), fPass).Val()
}

// Twenty parallel confirms of one reset token: exactly one sets the password, the others get
// invalid_token, and the security log has one reset.
func TestResetConfirmParallelOneWins(t *testing.T) {
	l, o := newLinks(t)
	ctx := context.Background()
	u := signUp(t, l, "reset-race@example.com")
	if err := l.RequestReset(ctx, ResetRequest{Email: u.Email}, client); err != nil {
		t.Fatal(err)
	}
	token := o.token(t, KindPasswordReset, u.Email)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = l.ConfirmReset(ctx, ResetConfirm{Token: token, NewPassword: "another long passphrase " + string(rune('a'+i))}, client)
		}()
	}
	close(start)
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else if problem.CodeOf(err) != "invalid_token" {
			t.Errorf("confirm: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d confirms won; want exactly 1", wins)
	}
	events, _ := l.log.List(ctx, u.ID)
	resets := 0
	for _, e := range events {
		if e.Type == "password_reset" {
			resets++
		}
	}
	if resets != 1 {
		t.Fatalf("%d password_reset events; want 1", resets)
	}
	if l.st.R.Exists(ctx, l.tokens.Key(onetime.PasswordReset, onetime.Hash(token))).Val() != 0 {
		t.Fatal("the spent token is still stored")
	}
}

// A known and an unknown address get the same answer; a burst for one address queues at most
// the address's limit; the newest link voids the older ones.
func TestResetRequestUniformAndBounded(t *testing.T) {
	l, o := newLinks(t)
	ctx := context.Background()
	u := signUp(t, l, "reset-burst@example.com")
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := u.Email
			if i%2 == 1 {
				email = "nobody-here@example.com"
			}
			errs[i] = l.RequestReset(ctx, ResetRequest{Email: email}, web.Client{IP: fmt.Sprintf("203.0.113.%d", i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	sent := o.of(KindPasswordReset, u.Email)
	if len(sent) == 0 || int64(len(sent)) > limitResetAddress.Max {
		t.Fatalf("%d reset mails for a burst of 20; want 1..%d", len(sent), limitResetAddress.Max)
	}
	if n := len(o.of(KindPasswordReset, "nobody-here@example.com")); n != 0 {
		t.Fatalf("%d mails to an unknown address", n)
	}
	valid := 0
	for _, m := range sent {
		u, _ := url.Parse(m.Data["url"])
		if _, err := l.tokens.Peek(ctx, onetime.PasswordReset, u.Query().Get("token")); err == nil {
			valid++
		}
	}
	if valid != 1 {
		t.Fatalf("%d of %d links still valid; want only the newest", valid, len(sent))
	}
}

// Unknown, tampered, spent, superseded, expired and other-purpose tokens are invalid_token and
// change nothing.
func TestResetBadTokens(t *testing.T) {
	l, o := newLinks(t)
	ctx := context.Background()
	u := signUp(t, l, "reset-bad@example.com")
	before := hashOf(t, l, u.ID)
	verify := o.token(t, KindVerifyEmail, u.Email)
	_ = l.RequestReset(ctx, ResetRequest{Email: u.Email}, client)
	old := o.token(t, KindPasswordReset, u.Email)
	l.limits.Reset(ctx, limitResetAddress, u.Email)
	_ = l.RequestReset(ctx, ResetRequest{Email: u.Email}, client)
	live := o.token(t, KindPasswordReset, u.Email)
	tampered := live[:len(live)-2] + "AA"
	for name, tok := range map[string]string{"unknown": "bm90LWEtdG9rZW4tYXQtYWxsLWp1c3QtYnl0ZXM", "tampered": tampered,
		"superseded": old, "other purpose": verify, "empty": ""} {
		err := l.ConfirmReset(ctx, ResetConfirm{Token: tok, NewPassword: "another long passphrase"}, client)
		if problem.CodeOf(err) != "invalid_token" {
			t.Errorf("%s token: %v; want invalid_token", name, err)
		}
	}
	if hashOf(t, l, u.ID) != before {
		t.Fatal("a bad token changed the password")
	}
	// Expired: the claim is gone as Redis expires it.
	l.st.R.Del(ctx, l.tokens.Key(onetime.PasswordReset, onetime.Hash(live)))
	if err := l.ConfirmReset(ctx, ResetConfirm{Token: live, NewPassword: "another long passphrase"}, client); problem.CodeOf(err) != "invalid_token" {
		t.Fatalf("expired token: %v", err)
	}
}

// The token is not spent by a refused password; it is by the accepted one, once.
func TestResetWeakPasswordKeepsToken(t *testing.T) {
	l, o := newLinks(t)
	ctx := context.Background()
	u := signUp(t, l, "reset-weak@example.com")
	_ = l.RequestReset(ctx, ResetRequest{Email: u.Email}, client)
	tok := o.token(t, KindPasswordReset, u.Email)
	if err := l.ConfirmReset(ctx, ResetConfirm{Token: tok, NewPassword: "short"}, client); problem.CodeOf(err) == "invalid_token" || err == nil {
		t.Fatalf("weak password: %v", err)
	}
	if err := l.ConfirmReset(ctx, ResetConfirm{Token: tok, NewPassword: "another long passphrase"}, client); err != nil {
		t.Fatalf("then a good one: %v", err)
	}
	if err := l.ConfirmReset(ctx, ResetConfirm{Token: tok, NewPassword: "yet another long passphrase"}, client); problem.CodeOf(err) != "invalid_token" {
		t.Fatalf("spent token: %v", err)
	}
}

// Signup mails a verification link; it verifies once; a link for an address the account no
// longer has verifies nothing.
func TestVerifyEmail(t *testing.T) {
	l, o := newLinks(t)
	ctx := context.Background()
	u := signUp(t, l, "verify@example.com")
	if u.EmailVerified {
		t.Fatal("verified at signup")
	}
	tok := o.token(t, KindVerifyEmail, u.Email)
	if err := l.VerifyEmail(ctx, VerifyInput{Token: tok}, client); err != nil {
		t.Fatal(err)
	}
	got, _ := l.Get(ctx, u.ID)
	if !got.EmailVerified {
		t.Fatal("not verified after the link")
	}
	if err := l.VerifyEmail(ctx, VerifyInput{Token: tok}, client); problem.CodeOf(err) != "invalid_token" {
		t.Fatalf("second use: %v", err)
	}
}

// Two accounts confirming a change to one address at once: at most one wins, the address key
// names the winner, the loser keeps its address and gets email_taken.
func TestEmailChangeRaceOneAddress(t *testing.T) {
	l, o := newLinks(t)
	ctx := context.Background()
	a, b := signUp(t, l, "change-a@example.com"), signUp(t, l, "change-b@example.com")
	const target = "wanted@example.com"
	for _, u := range []*User{a, b} {
		in := EmailChangeInput{NewEmail: target, Password: "a long enough passphrase"}
		if err := l.RequestEmailChange(ctx, sessionOf(u.ID), in, client); err != nil {
			t.Fatal(err)
		}
	}
	toks := o.of(KindEmailChangeConfirm, target)
	if len(toks) != 2 || len(o.of(KindEmailChangeNotice, a.Email)) != 1 {
		t.Fatalf("queued %d confirmations, %d notices", len(toks), len(o.of(KindEmailChangeNotice, a.Email)))
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, m := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u, _ := url.Parse(m.Data["url"])
			errs[i] = l.ConfirmEmailChange(ctx, VerifyInput{Token: u.Query().Get("token")}, client)
		}()
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			winner = toks[i].UserID
		case problem.CodeOf(err) != "email_taken":
			t.Fatalf("confirm %d: %v", i, err)
		}
	}
	if winner == "" || (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("errors %v; want exactly one winner", errs)
	}
	if id, _ := l.findEmail(ctx, target); id != winner {
		t.Fatalf("address key names %q; want the winner %q", id, winner)
	}
	loser, old := a, "change-a@example.com"
	if winner == a.ID {
		loser, old = b, "change-b@example.com"
	}
	if got, _ := l.Get(ctx, loser.ID); got.Email != old {
		t.Fatalf("loser's address is %q", got.Email)
	}
	w, _ := l.Get(ctx, winner)
	if w.Email != target || !w.EmailVerified {
		t.Fatalf("winner = %+v", w)
	}
	freed := "change-a@example.com"
	if winner == b.ID {
		freed = "change-b@example.com"
	}
	if _, err := l.findEmail(ctx, freed); err == nil {
		t.Fatal("the old address is still claimed")
	}
}

func sessionOf(uid string) *session.Session { return &session.Session{UserID: uid} }

// Me shows the bounced address only while it is still the account's.
func TestMeShowsBounce(t *testing.T) {
	l, _ := newLinks(t)
	ctx := context.Background()
	u := signUp(t, l, "bounced@example.com")
	at := "bounced@example.com"
	l.bounce = func(context.Context, string) (mail.BounceInfo, bool, error) {
		return mail.BounceInfo{Address: at, Reason: "550 no such user"}, true, nil
	}
	if got, err := l.Me(ctx, u.ID); err != nil || got.EmailBounced != u.Email {
		t.Fatalf("Me = %+v, %v; want the bounce", got, err)
	}
	at = "an-older-address@example.com"
	if got, _ := l.Me(ctx, u.ID); got.EmailBounced != "" {
		t.Fatalf("a bounce of another address shows: %+v", got)
	}
}
