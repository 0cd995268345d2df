package schedule

import (
	"context"
	"errors"
	"time"

	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/problem"
)

// Patch is the body of PATCH /api/schedules?id=ID: only the fields given change.
type Patch struct {
	Cadence          *string         `json:"cadence"`
	Weekday          *int            `json:"weekday"`
	Day              *int            `json:"day"`
	Hour             *int            `json:"hour"`
	TimeZone         *string         `json:"timezone"`
	Compare          *period.Compare `json:"compare"`
	Recipients       *[]string       `json:"recipients"`
	Paused           *bool           `json:"paused"`
	OnNeedsReconnect *string         `json:"on_needs_reconnect"`
	AttachCSV        *bool           `json:"attach_csv"`
}

// editAttempts bounds how often an edit re-reads a schedule that others changed under it.
const editAttempts = 8

// Update applies p to schedule id of userID, edited by owner. The edit is made from the
// stored value and written only if that value is still the stored one (else re-read and
// re-applied), so concurrent edits, pauses and a delete end in one consistent state: the due
// set has the schedule exactly when it exists and is not paused, at its NextRunAt.
func (s *Service) Update(ctx context.Context, userID string, owner Owner, id string, p Patch) (*Schedule, error) {
	lim, err := s.limitsFor(ctx, userID)
	if err != nil {
		return nil, err
	}
	if err := s.backfill(ctx, userID); err != nil {
		return nil, err
	}
	for range editAttempts {
		sc, err := s.tryUpdate(ctx, userID, owner, id, p, lim)
		if !errors.Is(err, errChanged) {
			return sc, err
		}
	}
	return nil, ErrBusy
}

func (s *Service) tryUpdate(ctx context.Context, userID string, owner Owner, id string, p Patch, lim Limits) (*Schedule, error) {
	raw, cur, err := s.getRaw(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	next, w, err := s.apply(cur, p, owner, lim)
	if err != nil {
		return nil, err
	}
	w.userID, w.from = userID, raw
	if err := s.write(ctx, w, lim); err != nil {
		return nil, err
	}
	return next, nil
}

// apply returns cur changed by p and the write that stores it.
func (s *Service) apply(cur *Schedule, p Patch, owner Owner, lim Limits) (*Schedule, write, error) {
	next, err := validate(cur.patched(p), cur.TimeZone)
	if err != nil {
		return nil, write{}, err
	}
	now := s.now()
	next.ID, next.CreatedAt, next.UpdatedAt = cur.ID, cur.CreatedAt, now.UTC().Truncate(time.Second)
	next.Recipients, next.Added, next.Paused, next.NextRunAt = cur.Recipients, cur.Added, cur.Paused, cur.NextRunAt
	next.AttachCSV = *pick(&cur.AttachCSV, p.AttachCSV)
	next.resolveOwner(owner)
	next.OnNeedsReconnect, err = reconnectRule(cur.OnNeedsReconnect, p.OnNeedsReconnect)
	if err != nil {
		return nil, write{}, err
	}
	var added []string
	if p.Recipients != nil {
		list, err := normalizeRecipients(*p.Recipients, owner, lim)
		if err != nil {
			return nil, write{}, err
		}
		added = next.setRecipients(list, owner, now.UTC().Truncate(time.Second))
	}
	if p.Paused != nil {
		next.Paused = *p.Paused
	}
	return next, write{sc: next, due: next.reschedule(cur, now), added: added}, nil
}

// reschedule sets NextRunAt after an edit from cur and says what the due set must do. A
// resumed schedule runs next at its first time after now: runs missed while paused are never
// sent late.
func (sc *Schedule) reschedule(cur *Schedule, now time.Time) string {
	switch {
	case sc.Paused:
		sc.NextRunAt = time.Time{}
		return dueRemove
	case cur.Paused || sc.timing() != cur.timing():
		sc.NextRunAt = sc.Next(now)
		return dueSet
	}
	return dueKeep
}

// timing is what decides when a schedule runs.
func (sc *Schedule) timing() string {
	fp := *sc
	fp.Compare, fp.Recipients = "", nil
	return fp.fingerprint()
}

// patched is the Input that cur would be with p's timing fields applied. Changing the cadence
// drops the day field of the old one unless p gives it.
func (sc *Schedule) patched(p Patch) Input {
	in := Input{Cadence: sc.Cadence, Weekday: sc.Weekday, Day: sc.Day, Hour: &sc.Hour, TimeZone: sc.TimeZone, Compare: sc.Compare}
	if p.Cadence != nil && *p.Cadence != sc.Cadence {
		in.Cadence, in.Weekday, in.Day = *p.Cadence, nil, nil
	}
	in.Weekday = pick(in.Weekday, p.Weekday)
	in.Day = pick(in.Day, p.Day)
	in.Hour = pick(in.Hour, p.Hour)
	if p.TimeZone != nil {
		in.TimeZone = *p.TimeZone
	}
	if p.Compare != nil {
		in.Compare = *p.Compare
	}
	return in
}

func pick[T any](cur, given *T) *T {
	if given != nil {
		return given
	}
	return cur
}

// reconnectRule is OnNeedsReconnect after an edit that gives v (or not).
func reconnectRule(cur string, v *string) (string, error) {
	if v == nil {
		return cur, nil
	}
	switch *v {
	case SendAnyway, Hold:
		return *v, nil
	}
	return "", problem.Unprocessable("invalid_schedule", "on_needs_reconnect", "\"on_needs_reconnect\" must be \"send\" or \"hold\".")
}
