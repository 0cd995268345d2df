package account

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/password"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/web"
)

// A deletion whose password check (bcrypt, the long step) overlaps a parallel deletion
// that closes the account — and whose purge may remove the record — answers errClosed
// (401, as after a deletion), never a bare "store: not found" (500), and queues no
// deletion notice for the account already gone.
func TestCloseLosingToParallelDeletionAnswersClosed(t *testing.T) {
	for name, meanwhile := range map[string]func(s *Service, uid string){
		"closed": func(s *Service, uid string) { s.st.R.HSet(context.Background(), s.userKey(uid), fDeleted, 1) },
		"purged": func(s *Service, uid string) { s.st.R.Del(context.Background(), s.userKey(uid)) },
	} {
		t.Run(name, func(t *testing.T) {
			svc := newService(t)
			var queued int
			svc.SetNotices(notice.New(func(context.Context, mail.Message) error { queued++; return nil }, "https://app.example"))
			ctx, c := context.Background(), web.Client{IP: "198.51.100.7"}
			u, err := svc.Signup(ctx, httptest.NewRecorder(), SignupInput{Email: "racer@example.com", Password: "a long enough passphrase"}, c)
			if err != nil {
				t.Fatal(err)
			}
			queued = 0
			svc.matches = func(hash, pw string) bool { meanwhile(svc, u.ID); return password.Matches(hash, pw) }
			_, err = svc.Close(ctx, httptest.NewRecorder(), &session.Session{UserID: u.ID}, DeleteInput{Password: "a long enough passphrase"}, c, Closing{ID: "t1"})
			if !errors.Is(err, errClosed) || queued != 0 {
				t.Fatalf("err = %v, notices queued %d; want errClosed and none", err, queued)
			}
		})
	}
}
