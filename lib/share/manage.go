package share

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Link is a row of GET /api/shares. It has no URL: the token was shown once, at creation.
type Link struct {
	ID          string     `json:"id"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
	HasPassword bool       `json:"has_password"`
	Views       int64      `json:"views"`
	Expired     bool       `json:"expired"`
}

// List returns the links of the user's report, newest first (report.ErrNotFound for a report
// that is not the user's).
func (s *Service) List(ctx context.Context, userID, reportID string) ([]Link, error) {
	if _, err := s.reports.Get(ctx, userID, reportID); err != nil {
		return nil, err
	}
	links, views := report.ShareKeys(s.st, reportID)
	var recs, counts *redis.MapStringStringCmd
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		recs, counts = p.HGetAll(ctx, links), p.HGetAll(ctx, views)
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	return s.rows(recs.Val(), counts.Val())
}

// rows turns the stored records and counters into Links, newest first.
func (s *Service) rows(recs, counts map[string]string) ([]Link, error) {
	out := make([]Link, 0, len(recs))
	for id, raw := range recs {
		rec, err := decodeRecord(raw)
		if err != nil {
			return nil, err
		}
		n, _ := strconv.ParseInt(counts[id], 10, 64)
		out = append(out, Link{ID: id, CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt,
			HasPassword: rec.Password != "", Views: n, Expired: rec.expired(s.now())})
	}
	slices.SortFunc(out, func(a, b Link) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// Revoke deletes the user's link: its record, its views and its pointer, with the
// security-log event, in one transaction. Another user's link, or one already gone, is
// ErrNotFound.
func (s *Service) Revoke(ctx context.Context, userID, id string, c web.Client) error {
	if !ids.Valid(id) {
		return ErrNotFound
	}
	ptr, err := s.st.R.Get(ctx, s.pointerKey(id)).Result()
	if errors.Is(err, redis.Nil) {
		return ErrNotFound
	}
	if err != nil {
		return store.Err(err)
	}
	uid, rid, _ := parsePointer(ptr)
	if uid != userID {
		return ErrNotFound
	}
	links, _ := report.ShareKeys(s.st, rid)
	return s.watch(ctx, s.revoke(ctx, uid, rid, id, c), links)
}

// revoke is Revoke's transaction: only the revocation that finds the link records it.
func (s *Service) revoke(ctx context.Context, uid, rid, id string, c web.Client) func(*redis.Tx) error {
	links, views := report.ShareKeys(s.st, rid)
	return func(tx *redis.Tx) error {
		ok, err := tx.HExists(ctx, links, id).Result()
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if ok {
				p.HDel(ctx, links, id)
				p.HDel(ctx, views, id)
				s.log.Add(ctx, p, uid, audit.ShareRevoked, c, "report "+rid)
			}
			p.Del(ctx, s.pointerKey(id))
			p.SRem(ctx, s.st.IndexKey(uid), s.pointerKey(id))
			p.SRem(ctx, MadeKey(s.st, uid), member(rid, id))
			return nil
		})
		if err == nil && !ok {
			return ErrNotFound
		}
		return err
	}
}
