// Package schedule runs reports on a calendar: weekly (a weekday and hour) or monthly (a day
// and hour) in the user's time zone. Due times live in one Redis sorted set, so the hourly tick
// reads only the schedules that are due, however many exist.
package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"
	_ "time/tzdata" // zone data inside the binary: a function runtime may lack /usr/share/zoneinfo

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/tz"
)

// MaxPerUser bounds how many schedules one account may keep.
const MaxPerUser = 5

// Cadences.
const (
	Weekly  = "weekly"
	Monthly = "monthly"
)

// Schedule is a recurring report as the API shows it.
type Schedule struct {
	ID      string `json:"id"`
	Cadence string `json:"cadence"`
	// Weekday is 0 (Sunday) to 6 (Saturday), for weekly schedules.
	Weekday *int `json:"weekday,omitempty"`
	// Day is 1 to 31, for monthly schedules; in shorter months the run falls on the last day.
	Day      *int   `json:"day,omitempty"`
	Hour     int    `json:"hour"`
	TimeZone string `json:"timezone"`
	// Compare is what each run's period is compared with (period.PreviousPeriod when a
	// schedule stored before it existed has none).
	Compare period.Compare `json:"compare"`
	// Recipients is every address a run goes to, stored explicitly: the owner's verified
	// address when the schedule was made without recipients, plus up to MaxRecipients
	// others. The owner's own entry is marked in Added (Owner), so a run can tell the owner
	// (app link, reconnect link) from the others (share link, "who added you").
	Recipients []string `json:"recipients"`
	// Added says, per address in Recipients, who added it and when.
	Added map[string]Added `json:"recipients_added,omitempty"`
	// Paused: a paused schedule has no entry in the due set; NextRunAt is then zero.
	Paused bool `json:"paused"`
	// OnNeedsReconnect is what a run does when a source needs reconnecting: SendAnyway
	// (the default; the missing sections are labelled) or Hold (no e-mail until reconnected).
	OnNeedsReconnect string `json:"on_needs_reconnect"`
	// AttachCSV: each report e-mail carries the report's CSV. On unless turned off; a
	// schedule stored before the field existed reads as on (decode), as it always was.
	AttachCSV bool      `json:"attach_csv"`
	NextRunAt time.Time `json:"next_run_at"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at,omitempty"`
}

// Added records who put an address on a schedule, for the "who added you" line of that
// recipient's first report.
type Added struct {
	// By is the adding account's address at the time, Name its name.
	By   string    `json:"by"`
	Name string    `json:"name,omitempty"`
	At   time.Time `json:"at"`
	// Owner marks the account's own address.
	Owner bool `json:"owner,omitempty"`
}

// What a run does when a source needs reconnecting (Schedule.OnNeedsReconnect).
const (
	SendAnyway = "send"
	Hold       = "hold"
)

// MaxRecipients is how many addresses besides the owner's a schedule may have.
const MaxRecipients = 10

// Input is the body of POST /api/schedules.
type Input struct {
	Cadence  string `json:"cadence"`
	Weekday  *int   `json:"weekday"`
	Day      *int   `json:"day"`
	Hour     *int   `json:"hour"`
	TimeZone string `json:"timezone"`
	// Compare is optional: period.PreviousPeriod unless given.
	Compare period.Compare `json:"compare"`
	// Recipients is optional: the owner's address unless given.
	Recipients []string `json:"recipients"`
	Paused     bool     `json:"paused"`
	// OnNeedsReconnect is optional: SendAnyway unless given.
	OnNeedsReconnect string `json:"on_needs_reconnect"`
	// AttachCSV is optional: true unless given.
	AttachCSV *bool `json:"attach_csv"`
}

// Service stores schedules and runs the tick.
type Service struct {
	st      *store.Store
	reports *report.Service
	now     func() time.Time
	limits  LimitsFunc
	sources SourcesFunc
}

// New returns a Service.
func New(st *store.Store, reports *report.Service, now func() time.Time) *Service {
	return &Service{st: st, reports: reports, now: now}
}

func (s *Service) userKey(uid string) string { return s.st.Key("user", uid, "schedules") }
func (s *Service) dueKey() string            { return s.st.Key("schedules", "due") }
func member(uid, id string) string           { return uid + ":" + id }

// fpKey maps the fingerprint of each of the user's schedules to its id (duplicate check).
func (s *Service) fpKey(uid string) string { return s.st.Key("user", uid, "schedules", "fp") }

// validate checks in and returns the schedule it describes (without id or next run).
func validate(in Input, defaultTZ string) (*Schedule, error) {
	sc := &Schedule{Cadence: in.Cadence, TimeZone: in.TimeZone, Compare: in.Compare.OrDefault()}
	if sc.TimeZone == "" {
		sc.TimeZone = defaultTZ
	}
	zone, err := tz.Canonical(sc.TimeZone) // a link (Asia/Calcutta) is stored as its zone
	if err != nil {
		return nil, err
	}
	sc.TimeZone = zone
	if in.Hour == nil {
		return nil, problem.Invalid("hour", "Field \"hour\" is required (0 to 23).")
	}
	if *in.Hour < 0 || *in.Hour > 23 {
		return nil, problem.Unprocessable("invalid_schedule", "hour", "The hour must be between 0 and 23.")
	}
	sc.Hour = *in.Hour
	switch in.Cadence {
	case Weekly:
		if in.Weekday == nil {
			return nil, problem.Invalid("weekday", "Weekly schedules need \"weekday\" (0 = Sunday to 6 = Saturday).")
		}
		if *in.Weekday < 0 || *in.Weekday > 6 {
			return nil, problem.Unprocessable("invalid_schedule", "weekday", "The weekday must be between 0 (Sunday) and 6 (Saturday).")
		}
		if in.Day != nil {
			return nil, problem.Invalid("day", "Weekly schedules take \"weekday\", not \"day\".")
		}
		sc.Weekday = in.Weekday
	case Monthly:
		if in.Day == nil {
			return nil, problem.Invalid("day", "Monthly schedules need \"day\" (1 to 31).")
		}
		if *in.Day < 1 || *in.Day > 31 {
			return nil, problem.Unprocessable("invalid_schedule", "day", "The day must be between 1 and 31.")
		}
		if in.Weekday != nil {
			return nil, problem.Invalid("weekday", "Monthly schedules take \"day\", not \"weekday\".")
		}
		sc.Day = in.Day
	case "":
		return nil, problem.Invalid("cadence", "Field \"cadence\" is required: \"weekly\" or \"monthly\".")
	default:
		return nil, problem.Unprocessable("invalid_schedule", "cadence", "The cadence must be \"weekly\" or \"monthly\".")
	}
	return sc, nil
}

// ErrTooMany is the answer past MaxPerUser schedules.
var ErrTooMany = problem.Conflict("too_many_schedules", fmt.Sprintf("An account can keep at most %d schedules. Delete one first.", MaxPerUser))

// ErrNotFound is the answer for a schedule that is not the caller's.
var ErrNotFound = problem.NotFound("No such schedule.")

// ErrDuplicate is the answer to a schedule identical to one the user already has: a second
// copy would only send every report twice.
var ErrDuplicate = problem.Conflict("duplicate_schedule", "You already have a schedule with this cadence, day, hour, time zone and comparison.")

// Create adds a schedule for userID; defaultTZ is the user's own time zone. Without an
// owner's address it has no recipients stored: it goes to the owner alone (WithOwner).
func (s *Service) Create(ctx context.Context, userID, defaultTZ string, in Input) (*Schedule, error) {
	return s.CreateAs(ctx, userID, Owner{}, defaultTZ, in)
}

// CreateAs adds a schedule for userID, made by owner. The limits, the duplicate check and the
// write are one script (writeScript), so parallel requests cannot get past any of them.
func (s *Service) CreateAs(ctx context.Context, userID string, owner Owner, defaultTZ string, in Input) (*Schedule, error) {
	lim, err := s.limitsFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	sc, added, err := s.newSchedule(in, owner, defaultTZ, lim)
	if err != nil {
		return nil, err
	}
	if err := s.backfill(ctx, userID); err != nil {
		return nil, err
	}
	due := dueSet
	if sc.Paused {
		due = dueRemove
	}
	if err := s.write(ctx, write{userID: userID, sc: sc, due: due, added: added}, lim); err != nil {
		return nil, err
	}
	return sc, nil
}

// newSchedule is the schedule in describes, with its id, dates and recipients, and the
// addresses it adds.
func (s *Service) newSchedule(in Input, owner Owner, defaultTZ string, lim Limits) (*Schedule, []string, error) {
	sc, err := validate(in, defaultTZ)
	if err != nil {
		return nil, nil, err
	}
	if sc.OnNeedsReconnect, err = reconnectRule(SendAnyway, nonEmpty(in.OnNeedsReconnect)); err != nil {
		return nil, nil, err
	}
	now := s.now()
	sc.ID, sc.Paused, sc.AttachCSV = ids.New(), in.Paused, in.AttachCSV == nil || *in.AttachCSV
	sc.CreatedAt = now.UTC().Truncate(time.Second)
	if !sc.Paused {
		sc.NextRunAt = sc.Next(now)
	}
	var added []string
	if in.Recipients != nil {
		list, err := normalizeRecipients(in.Recipients, owner, lim)
		if err != nil {
			return nil, nil, err
		}
		added = sc.setRecipients(list, owner, sc.CreatedAt)
	}
	sc.resolveOwner(owner)
	return sc, added, nil
}

func nonEmpty(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

// backfillScript sets, for each (id, fingerprint) pair in ARGV, the fingerprint of schedule id
// (KEYS[1] schedules, KEYS[2] fingerprints) if the schedule still exists: atomic with
// deleteScript, so a schedule deleted meanwhile leaves no fingerprint behind.
var backfillScript = redis.NewScript(`
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then redis.call('HSETNX', KEYS[2], ARGV[i+1], ARGV[i]) end
end
return 0
`)

// backfill gives schedules stored before fingerprints existed theirs, so that duplicates of
// them are refused too. Once every schedule has one it costs one round trip.
func (s *Service) backfill(ctx context.Context, userID string) error {
	var all *redis.MapStringStringCmd
	var fps *redis.IntCmd
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		all, fps = p.HGetAll(ctx, s.userKey(userID)), p.HLen(ctx, s.fpKey(userID))
		return nil
	})
	if err != nil || int64(len(all.Val())) <= fps.Val() {
		return store.Err(err)
	}
	var args []any
	for id, raw := range all.Val() {
		var sc Schedule
		if json.Unmarshal([]byte(raw), &sc) == nil {
			args = append(args, id, sc.fingerprint())
		}
	}
	return store.Err(backfillScript.Run(ctx, s.st.R, []string{s.userKey(userID), s.fpKey(userID)}, args...).Err())
}

// fingerprint is the canonical form of what a schedule does (not its id or dates): two
// schedules with the same fingerprint would run the same report at the same moment.
func (sc *Schedule) fingerprint() string {
	on := 0
	switch {
	case sc.Weekday != nil:
		on = *sc.Weekday
	case sc.Day != nil:
		on = *sc.Day
	}
	fp := fmt.Sprintf("%s/%d/%d/%s", sc.Cadence, on, sc.Hour, sc.TimeZone)
	if sc.Compare.OrDefault() != period.PreviousPeriod {
		// The same run against last year is a different report, not a duplicate; the default
		// adds nothing, so fingerprints stored before compare existed still match.
		fp += "/" + string(sc.Compare)
	}
	if to := sc.recipientsKey(); to != "" {
		// The same report to other people is a different schedule; the owner alone (every
		// schedule stored before recipients) adds nothing.
		fp += "/to=" + to
	}
	return fp
}

// listScript returns, for each of the user's schedules (KEYS[1]), its stored value and its
// score in the due set (KEYS[2]; false when it has none), members prefixed ARGV[1].
var listScript = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  out[#out + 1] = all[i + 1]
  out[#out + 1] = redis.call('ZSCORE', KEYS[2], ARGV[1] .. all[i]) or ''
end
return out
`)

// List returns the user's schedules, oldest first, each with the next run the due set holds
// (the tick advances it there, not in the stored value).
func (s *Service) List(ctx context.Context, userID string) ([]Schedule, error) {
	res, err := listScript.Run(ctx, s.st.R, []string{s.userKey(userID), s.dueKey()}, userID+":").StringSlice()
	if err != nil {
		return nil, store.Err(err)
	}
	out := make([]Schedule, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		sc, err := decode(res[i])
		if err != nil {
			return nil, err
		}
		sc.setNextRun(res[i+1])
		out = append(out, *sc)
	}
	sortByCreated(out)
	return out, nil
}

// setNextRun sets NextRunAt from the due set's score ("" when the schedule is not there).
func (sc *Schedule) setNextRun(score string) {
	sc.NextRunAt = time.Time{}
	if f, err := strconv.ParseFloat(score, 64); err == nil {
		sc.NextRunAt = time.Unix(int64(f), 0).UTC()
	}
}

// deleteScript removes schedule ARGV[1] (KEYS[1] schedules, KEYS[2] fingerprints, KEYS[3]
// due set; ARGV[2] its due member) with its fingerprint, in one step: a fingerprint must never
// outlive its schedule (it would refuse a legitimate create) nor be dropped while a new one
// holds it.
var deleteScript = redis.NewScript(`
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[3], ARGV[2])
for _, fp in ipairs(redis.call('HKEYS', KEYS[2])) do
  if redis.call('HGET', KEYS[2], fp) == ARGV[1] then redis.call('HDEL', KEYS[2], fp) end
end
return 1
`)

// Delete removes one of the user's schedules, its fingerprint and its due entry.
func (s *Service) Delete(ctx context.Context, userID, id string) error {
	if id == "" {
		return problem.Invalid("id", "Query parameter \"id\" is required.")
	}
	keys := []string{s.userKey(userID), s.fpKey(userID), s.dueKey()}
	n, err := deleteScript.Run(ctx, s.st.R, keys, id, member(userID, id)).Int()
	if err != nil {
		return store.Err(err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteAll removes every schedule of the user, their fingerprints and due entries (account
// deletion).
func (s *Service) DeleteAll(ctx context.Context, userID string) error {
	ids, err := s.st.R.HKeys(ctx, s.userKey(userID)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return store.Err(err)
	}
	_, err = s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, id := range ids {
			p.ZRem(ctx, s.dueKey(), member(userID, id))
		}
		p.Del(ctx, s.userKey(userID), s.fpKey(userID), s.newRecipientsKey(userID))
		return nil
	})
	return store.Err(err)
}

func sortByCreated(list []Schedule) {
	sort.Slice(list, func(i, j int) bool {
		if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
			return list[i].CreatedAt.Before(list[j].CreatedAt)
		}
		return list[i].ID < list[j].ID
	})
}

// Get returns one of the user's schedules, with the next run the due set holds, in one round
// trip; ErrNotFound when it is not theirs.
func (s *Service) Get(ctx context.Context, userID, id string) (*Schedule, error) {
	if id == "" {
		return nil, problem.Invalid("id", "Query parameter \"id\" is required.")
	}
	var raw *redis.StringCmd
	var score *redis.FloatCmd
	_, err := s.st.R.Pipelined(ctx, func(p redis.Pipeliner) error {
		raw, score = p.HGet(ctx, s.userKey(userID), id), p.ZScore(ctx, s.dueKey(), member(userID, id))
		return nil
	})
	if errors.Is(raw.Err(), redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, store.Err(err)
	}
	sc, err := decode(raw.Val())
	if err != nil {
		return nil, err
	}
	sc.setNextRun(strconv.FormatFloat(score.Val(), 'f', 0, 64))
	if score.Err() != nil {
		sc.NextRunAt = time.Time{}
	}
	return sc, nil
}

// getRaw returns schedule id as stored and decoded (NextRunAt as last written, which an edit
// compares against).
func (s *Service) getRaw(ctx context.Context, userID, id string) (string, *Schedule, error) {
	if id == "" {
		return "", nil, problem.Invalid("id", "Query parameter \"id\" is required.")
	}
	raw, err := s.st.R.HGet(ctx, s.userKey(userID), id).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil, ErrNotFound
	}
	if err != nil {
		return "", nil, store.Err(err)
	}
	sc, err := decode(raw)
	return raw, sc, err
}

// decode reads a stored schedule, filling what schedules stored before a field existed lack.
func decode(raw string) (*Schedule, error) {
	sc := Schedule{AttachCSV: true} // json leaves it alone when the stored value lacks it
	if err := json.Unmarshal([]byte(raw), &sc); err != nil {
		return nil, fmt.Errorf("schedule: decode: %w", err)
	}
	sc.Compare = sc.Compare.OrDefault()
	if sc.OnNeedsReconnect == "" {
		sc.OnNeedsReconnect = SendAnyway
	}
	return &sc, nil
}

// IsOwner says whether addr is the owner's own entry among the recipients.
func (sc *Schedule) IsOwner(addr string) bool { return sc.Added[addr].Owner }
