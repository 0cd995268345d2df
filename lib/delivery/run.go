package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/store"
)

// KeepRuns is how many runs of a schedule the history keeps; older ones are dropped as new
// ones are recorded.
const KeepRuns = 20

// Run statuses.
const (
	RunGenerating = "generating" // the report is being made
	RunHeld       = "held"       // a source needs reconnecting and the schedule holds
	RunSending    = "sending"    // the e-mails are queued
	RunSent       = "sent"       // every recipient got it (or unsubscribed)
	RunPartlySent = "partly_sent"
	RunFailed     = "failed" // no report could be made: nothing was sent
)

// Run is one run of a schedule, as stored and (with recipients' statuses) as GET
// /api/schedules/runs shows it.
type Run struct {
	ID           string      `json:"id"`
	ScheduleID   string      `json:"schedule_id"`
	DueAt        time.Time   `json:"due_at"`
	ReportID     string      `json:"report_id"`
	Status       string      `json:"status"`
	ReportStatus string      `json:"report_status,omitempty"`
	Test         bool        `json:"test,omitempty"`
	Manual       bool        `json:"manual,omitempty"`
	ErrorCode    string      `json:"error_code,omitempty"`
	Error        string      `json:"error,omitempty"`
	Missing      []string    `json:"needs_reconnect,omitempty"`
	Recipients   []Recipient `json:"recipients"`
	Resends      int         `json:"resends,omitempty"`
	ShareURL     string      `json:"-"`
	Holds        int         `json:"-"`
	CreatedAt    time.Time   `json:"created_at"`
}

// storedRun keeps what the API does not show (the share link holds a token).
type storedRun struct {
	Run
	ShareURL string `json:"share_url,omitempty"`
	Holds    int    `json:"holds,omitempty"`
}

// Recipient is one address of a run: Status queued, sent, failed, bounced or unsubscribed.
type Recipient struct {
	Email  string `json:"email"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// Key is the mail message (lib/mail) that carries it; Owner marks the owner's address.
	Key   string `json:"-"`
	Owner bool   `json:"-"`
}

type storedRecipient struct {
	Email  string `json:"email"`
	Status string `json:"status,omitempty"`
	Key    string `json:"key,omitempty"`
	Owner  bool   `json:"owner,omitempty"`
}

func encodeRun(r *Run) string {
	st := storedRun{Run: *r, ShareURL: r.ShareURL, Holds: r.Holds}
	rs := make([]storedRecipient, len(r.Recipients))
	for i, x := range r.Recipients {
		rs[i] = storedRecipient{Email: x.Email, Status: x.Status, Key: x.Key, Owner: x.Owner}
	}
	b, _ := json.Marshal(struct {
		storedRun
		Recipients []storedRecipient `json:"recipients"`
	}{st, rs})
	return string(b)
}

func decodeRun(raw string) (*Run, error) {
	var v struct {
		storedRun
		Recipients []storedRecipient `json:"recipients"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, fmt.Errorf("delivery: decode run: %w", err)
	}
	r := v.Run
	r.ShareURL, r.Holds = v.ShareURL, v.Holds
	r.Recipients = make([]Recipient, len(v.Recipients))
	for i, x := range v.Recipients {
		r.Recipients[i] = Recipient{Email: x.Email, Status: x.Status, Key: x.Key, Owner: x.Owner}
	}
	return &r, nil
}

// openScript records run ARGV[1] (KEYS[1] runs hash, KEYS[2] its order, KEYS[3] the user's
// index) unless it exists, and drops the oldest past ARGV[4] runs, in one step; it returns
// the run stored now (ours or the earlier twin's).
var openScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  redis.call('SADD', KEYS[3], KEYS[1], KEYS[2])
  local n = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[4])
  if n > 0 then
    for _, old in ipairs(redis.call('ZPOPMIN', KEYS[2], n)) do redis.call('HDEL', KEYS[1], old) end
  end
end
return redis.call('HGET', KEYS[1], ARGV[1])
`)

// open records r unless a run with its id exists, and returns the stored run. The order is
// by creation, so a "Send now" is newest even when a ticked run is due later.
func (s *Service) open(ctx context.Context, uid string, r *Run) (*Run, error) {
	keys := []string{s.runsKey(uid, r.ScheduleID), s.orderKey(uid, r.ScheduleID), s.st.IndexKey(uid)}
	raw, err := openScript.Run(ctx, s.st.R, keys, r.ID, encodeRun(r), r.CreatedAt.UnixNano(), KeepRuns).Text()
	if err != nil {
		return nil, store.Err(fmt.Errorf("delivery: open run: %w", err))
	}
	return decodeRun(raw)
}

// errNoRun: the run was dropped from the history (or never recorded).
var errNoRun = errors.New("delivery: no such run")

// update applies change to a stored run in a WATCHed transaction; a run no longer stored is
// errNoRun and is never recreated.
func (s *Service) update(ctx context.Context, uid, sid, id string, change func(*Run) error) (*Run, error) {
	k := s.runsKey(uid, sid)
	var out *Run
	for attempt := 0; attempt < 10; attempt++ {
		err := s.st.R.Watch(ctx, func(tx *redis.Tx) error {
			raw, err := tx.HGet(ctx, k, id).Result()
			if errors.Is(err, redis.Nil) {
				return errNoRun
			}
			if err != nil {
				return err
			}
			if out, err = decodeRun(raw); err != nil {
				return err
			}
			if err := change(out); err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, k, id, encodeRun(out))
				return nil
			})
			return err
		}, k)
		if !errors.Is(err, redis.TxFailedErr) {
			return out, store.Err(err)
		}
	}
	return nil, store.Err(fmt.Errorf("delivery: run %s kept changing", id))
}

// get returns a stored run.
func (s *Service) get(ctx context.Context, uid, sid, id string) (*Run, error) {
	raw, err := s.st.R.HGet(ctx, s.runsKey(uid, sid), id).Result()
	if errors.Is(err, redis.Nil) {
		return nil, errNoRun
	}
	if err != nil {
		return nil, store.Err(err)
	}
	return decodeRun(raw)
}

// list returns the schedule's stored runs, newest first, in one round trip.
func (s *Service) list(ctx context.Context, uid, sid string) ([]*Run, error) {
	var order *redis.StringSliceCmd
	var all *redis.MapStringStringCmd
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		order = p.ZRevRange(ctx, s.orderKey(uid, sid), 0, -1)
		all = p.HGetAll(ctx, s.runsKey(uid, sid))
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	out := make([]*Run, 0, len(order.Val()))
	for _, id := range order.Val() {
		if raw, ok := all.Val()[id]; ok {
			r, err := decodeRun(raw)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}
