package share

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/password"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Wrong-password limits. Every attempt is counted before bcrypt runs (Allow), so a burst of
// guesses costs at most Max bcrypt comparisons per link and per client in a window; a right
// password gives its attempt back (Release). The token already carries 256 bits: the password
// only guards a link that leaked, and these limits keep guessing it slow and cheap for us.
var (
	LinkLimit   = ratelimit.Limit{Name: "share-password-link", Max: 10, Window: 15 * time.Minute}
	ClientLimit = ratelimit.Limit{Name: "share-password-client", Max: 30, Window: time.Hour, ByIP: true}
)

// link is a stored link found by its token.
type link struct {
	ID, UserID, ReportID string
	record
}

// Open returns the report behind a token, counting one view. Without a password (nil) a
// protected link answers ErrPasswordRequired; a wrong one ErrInvalidPassword, within
// LinkLimit and ClientLimit (429 beyond). Unknown, expired and revoked links, and links whose
// report was deleted, are ErrNotFound.
func (s *Service) Open(ctx context.Context, token string, pw *string, c web.Client) (*report.Report, error) {
	l, err := s.find(ctx, token)
	if err != nil {
		return nil, err
	}
	if err := s.checkPassword(ctx, l, pw, c); err != nil {
		return nil, err
	}
	if err := s.countView(ctx, l); err != nil {
		return nil, err
	}
	rep, err := s.reports.Get(ctx, l.UserID, l.ReportID)
	if errors.Is(err, report.ErrNotFound) {
		return nil, ErrNotFound
	}
	return rep, err
}

// find reads the link of a token: its pointer, then its record beside the report.
func (s *Service) find(ctx context.Context, token string) (*link, error) {
	id, ok := idOf(token)
	if !ok {
		return nil, ErrNotFound
	}
	ptr, err := s.st.R.Get(ctx, s.pointerKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, store.Err(err)
	}
	uid, rid, _ := parsePointer(ptr)
	links, _ := report.ShareKeys(s.st, rid)
	raw, err := s.st.R.HGet(ctx, links, id).Result()
	if errors.Is(err, redis.Nil) {
		s.dropPointer(ctx, uid, id)
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, store.Err(err)
	}
	return s.alive(id, uid, rid, raw)
}

// alive decodes a link's record and refuses it once expired.
func (s *Service) alive(id, uid, rid, raw string) (*link, error) {
	rec, err := decodeRecord(raw)
	if err != nil {
		return nil, err
	}
	if rec.expired(s.now()) {
		return nil, ErrNotFound
	}
	return &link{ID: id, UserID: uid, ReportID: rid, record: rec}, nil
}

// dropPointer deletes the pointer of a link whose record is gone: left by a report deleted
// before its deletion also deleted the pointers (report.remove does now). Best effort: a
// pointer left behind leads nowhere, and the account's purge removes it.
func (s *Service) dropPointer(ctx context.Context, uid, id string) {
	_, _ = s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.pointerKey(id))
		p.SRem(ctx, s.st.IndexKey(uid), s.pointerKey(id))
		return nil
	})
}

// checkPassword lets an unprotected link through and judges a protected one's password.
func (s *Service) checkPassword(ctx context.Context, l *link, pw *string, c web.Client) error {
	if l.Password == "" {
		return nil
	}
	if pw == nil {
		return ErrPasswordRequired
	}
	if err := s.limits.Allow(ctx, LinkLimit, l.ID); err != nil {
		return err
	}
	if err := s.limits.Allow(ctx, ClientLimit, c.IP); err != nil {
		return err
	}
	if !password.Matches(l.Password, *pw) {
		return ErrInvalidPassword
	}
	s.release(ctx, l.ID, c.IP)
	return nil
}

// release gives back a right password's attempts. A failure only leaves them counted.
func (s *Service) release(ctx context.Context, id, ip string) {
	_ = s.limits.Release(ctx, LinkLimit, id)
	_ = s.limits.Release(ctx, ClientLimit, ip)
}

// viewScript counts a view only while the link exists: a view racing a revocation or the
// report's deletion never recreates the counter of a link that is gone (nor its key outside
// the owner's index).
var viewScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[2], ARGV[1], 1)`)

// countView adds one view, or answers ErrNotFound when the link went meanwhile.
func (s *Service) countView(ctx context.Context, l *link) error {
	links, views := report.ShareKeys(s.st, l.ReportID)
	n, err := viewScript.Run(ctx, s.st.R, []string{links, views}, l.ID).Int64()
	if err != nil {
		return store.Err(err)
	}
	if n < 0 {
		return ErrNotFound
	}
	return nil
}
