package share

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/password"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Options are a new link's settings.
type Options struct {
	// ExpiresAt ends the link; nil never does (until revoked or its report is deleted).
	ExpiresAt *time.Time
	// Password, when not "", must be given to open the link.
	Password string
	// Client is who asked, for the security log (web.System for Metriqs itself, e.g. a
	// report e-mail's link for a recipient).
	Client web.Client
	// Detail is added to the security-log event (a recipient's address, say).
	Detail string
	// Automatic marks a link Metriqs makes itself, for a schedule's guest recipients: it
	// does not count against the plan's share_links (docs/billing.md says why). Never set
	// from a request.
	Automatic bool
}

// Created is a new link. URL holds the token: it is shown once and never stored.
type Created struct {
	ID          string     `json:"id"`
	URL         string     `json:"url"`
	ExpiresAt   *time.Time `json:"expires_at"`
	HasPassword bool       `json:"has_password"`
	CreatedAt   time.Time  `json:"created_at"`
}

// MaxPerReport is how many links a report can have at once.
const MaxPerReport = 20

// Password lengths, as for accounts (lib/password).
const (
	MinPassword = 8
	MaxPassword = password.MaxLength
)

// Create makes a share link to the user's report. It answers report.ErrNotFound for a report
// that is not the user's (or no longer exists), 409 share_limit when the report has
// MaxPerReport links, and 400 for an expiry in the past or a password out of bounds.
func (s *Service) Create(ctx context.Context, userID, reportID string, opts Options) (Created, error) {
	rec, err := s.newRecord(userID, opts)
	if err != nil {
		return Created{}, err
	}
	token := ids.Token(tokenBytes)
	id, _ := idOf(token)
	if err := s.store(ctx, userID, reportID, id, rec, opts); err != nil {
		return Created{}, err
	}
	return Created{ID: id, URL: s.url(token), ExpiresAt: rec.ExpiresAt, HasPassword: rec.Password != "", CreatedAt: rec.CreatedAt}, nil
}

// newRecord checks the options and hashes the password (before any transaction: bcrypt takes
// a quarter of a second).
func (s *Service) newRecord(userID string, opts Options) (record, error) {
	now := s.now().UTC().Truncate(time.Second)
	rec := record{UserID: userID, CreatedAt: now}
	if opts.ExpiresAt != nil {
		if !opts.ExpiresAt.After(now) {
			return rec, problem.Invalid("expires_at", "Field \"expires_at\" must be in the future.")
		}
		at := opts.ExpiresAt.UTC().Truncate(time.Second)
		rec.ExpiresAt = &at
	}
	if opts.Password == "" {
		return rec, nil
	}
	if n := utf8.RuneCountInString(opts.Password); n < MinPassword || n > MaxPassword {
		return rec, problem.Invalid("password", fmt.Sprintf("Field \"password\" must be %d to %d characters.", MinPassword, MaxPassword))
	}
	h, err := password.Hash(opts.Password)
	if err != nil {
		return rec, fmt.Errorf("share: hash password: %w", err)
	}
	rec.Password = h
	return rec, nil
}

// store writes the link in one transaction WATCHing the report and its links, so a link is
// never written for a report deleted meanwhile (report.remove deletes the links hash in its
// own transaction) and parallel creations cannot pass MaxPerReport between them.
func (s *Service) store(ctx context.Context, userID, reportID, id string, rec record, opts Options) error {
	links, views := report.ShareKeys(s.st, reportID)
	raw, _ := json.Marshal(rec)
	lim, err := s.planOf(ctx, userID, opts)
	if err != nil {
		return err
	}
	write := func(tx *redis.Tx) error {
		if err := s.checkRoom(ctx, tx, userID, reportID, lim); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if !opts.Automatic {
				p.SAdd(ctx, MadeKey(s.st, userID), member(reportID, id))
				s.st.Own(ctx, p, userID, MadeKey(s.st, userID))
			}
			p.HSet(ctx, links, id, raw)
			p.Set(ctx, s.pointerKey(id), pointer(userID, reportID), 0)
			s.st.Own(ctx, p, userID, links, views, s.pointerKey(id))
			s.log.Add(ctx, p, userID, audit.ShareCreated, opts.Client, describe(reportID, rec, opts.Detail))
			return nil
		})
		return err
	}
	return s.watch(ctx, write, report.Key(s.st, reportID), links, MadeKey(s.st, userID))
}

// checkRoom refuses a link for a report that is not the user's, and one over the limit on
// links. It is the one place the number of links is judged: per report, and the plan's
// share_links for a link the user makes (lim; nil for an automatic one).
func (s *Service) checkRoom(ctx context.Context, tx *redis.Tx, userID, reportID string, lim *plan.Plan) error {
	links, _ := report.ShareKeys(s.st, reportID)
	var owner *redis.StringCmd
	var n *redis.IntCmd
	_, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		owner = p.HGet(ctx, report.Key(s.st, reportID), "uid")
		n = p.HLen(ctx, links)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	if owner.Val() != userID {
		return report.ErrNotFound
	}
	if n.Val() >= MaxPerReport {
		return problem.Conflict("share_limit", fmt.Sprintf("A report can have at most %d share links; revoke one first.", MaxPerReport))
	}
	return s.roomOnPlan(ctx, tx, userID, lim)
}

// watch runs fn in a WATCH on keys, again when a concurrent write moved them.
func (s *Service) watch(ctx context.Context, fn func(*redis.Tx) error, keys ...string) error {
	for range 10 {
		err := s.st.R.Watch(ctx, fn, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			return storeOr(err)
		}
	}
	return problem.Unavailable(errors.New("share: too much contention"))
}

// storeOr keeps a problem as it is and translates a storage error.
func storeOr(err error) error {
	if _, ok := problem.As(err); ok || err == nil {
		return err
	}
	return store.Err(err)
}

// describe is the security-log detail of a new link.
func describe(reportID string, rec record, extra string) string {
	d := "report " + reportID
	if rec.ExpiresAt != nil {
		d += ", expires " + rec.ExpiresAt.Format(time.RFC3339)
	}
	if rec.Password != "" {
		d += ", password"
	}
	if extra != "" {
		d += ", " + extra
	}
	return d
}
