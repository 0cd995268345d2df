package report

import (
	"context"
	"encoding/json"
	"io"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/csvreport"
	"github.com/trymetriqs/metriqs/lib/store"
)

// redisScript is redis.NewScript; named so the scripts read as declarations.
func redisScript(src string) *redis.Script { return redis.NewScript(src) }

// List returns the user's reports, newest first (at most the last 200).
func (s *Service) List(ctx context.Context, userID string) ([]Summary, error) {
	ids, err := s.st.R.ZRevRange(ctx, s.listKey(userID), 0, 199).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err = s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, s.key(id), "uid", "status", "doc")
		}
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	out := make([]Summary, 0, len(ids))
	for _, c := range cmds {
		v := c.Val()
		uid, _ := v[0].(string)
		status, _ := v[1].(string)
		raw, _ := v[2].(string)
		var doc Report
		if uid != userID || json.Unmarshal([]byte(raw), &doc) != nil {
			continue // deleted between the two reads
		}
		out = append(out, Summary{ID: doc.ID, Title: doc.Title, Period: doc.Period, Status: status, CreatedAt: doc.CreatedAt})
	}
	s.repairListed(ctx, out)
	return out, nil
}

// WriteCSV writes the user's report as CSV in the layout of csvreport.Header and returns the
// file name to offer it under (csvreport.FileName).
func (s *Service) WriteCSV(ctx context.Context, w io.Writer, userID, id string) (string, error) {
	r, err := s.Get(ctx, userID, id)
	if err != nil {
		return "", err
	}
	if !finished(r.Status) {
		return "", ErrNotReady
	}
	return csvreport.FileName(r.Period), csvreport.Write(w, csvreport.Input{Period: r.Period, Sections: r.Sections})
}

// Key is the report's record. lib/share WATCHes it so that a link is only created for a report
// that exists and is the caller's.
func Key(st *store.Store, id string) string { return st.Key("report", id) }
