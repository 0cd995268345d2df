package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"time"

	"github.com/trymetriqs/metriqs/lib/device"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/web"
)

// SetNotices makes the service e-mail security notices through n (Default does; a Service
// from New sends none until given one).
func (s *Service) SetNotices(n *notice.Service) { s.notices = n }

// notify queues the security notice for a change that has committed. A failure is logged,
// not returned: the change happened, and an error now would make the user repeat it.
func (s *Service) notify(ctx context.Context, uid, event, occurrence string, c web.Client, extra map[string]string) {
	if s.notices == nil {
		return
	}
	notice.Logged(s.queueNotice(ctx, uid, event, occurrence, c, extra))
}

// queueNotice queues the notice to the account's current address.
func (s *Service) queueNotice(ctx context.Context, uid, event, occurrence string, c web.Client, extra map[string]string) error {
	rec, err := s.load(ctx, uid)
	if err != nil {
		return err
	}
	return s.notices.Security(ctx, uid, rec.Email, notice.Security{Event: event, ID: occurrence, At: s.now(), Client: c, Extra: extra})
}

// occurrence names one occurrence of an event by what it changed (a new hash, a secret, a
// code): the same change can never be told twice, a different one always has its own name.
func occurrence(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// noticeDeletion queues the notice that the account is being deleted, with the date by
// which everything is gone, BEFORE the close (Close calls it): afterwards the account has
// no live address to look up. The purge holds off while the notice is unsent
// (lib/deletion), so its record is not deleted from under its send job. A failure fails the
// deletion, which changed nothing yet and which the user can simply repeat.
func (s *Service) noticeDeletion(ctx context.Context, uid string, c web.Client, purgeBy time.Time, token string) error {
	if s.notices == nil {
		return nil
	}
	// live, not queueNotice's load: a parallel deletion may have closed and purged the
	// account during this one's password check, and the loser must neither fail with a 500
	// nor queue a notice for an account already gone.
	rec, err := s.live(ctx, uid)
	if err != nil {
		return err
	}
	extra := map[string]string{"purge_by": purgeBy.UTC().Format(time.RFC3339)}
	return s.notices.Security(ctx, uid, rec.Email, notice.Security{Event: notice.DeletionRequested, ID: token, At: s.now(), Client: c, Extra: extra})
}

// noticeSignIn records the device of a sign-in and tells the owner when it is one the
// account has not used: not the first sign-in ever (at signup), not a known cookie, not a
// browser and system the account already uses (device.Seen). The session id names it.
func (s *Service) noticeSignIn(ctx context.Context, w http.ResponseWriter, uid, sid string, c web.Client) {
	verdict, err := s.devices.Seen(ctx, uid, device.Identify(w, c), c)
	if err != nil {
		notice.Logged(err)
		return
	}
	if verdict == device.Unfamiliar {
		s.notify(ctx, uid, notice.NewDevice, sid, c, nil)
	}
}

// remaining formats a count of recovery codes for a notice.
func remaining(n int64) map[string]string {
	return map[string]string{"remaining": strconv.FormatInt(n, 10)}
}
