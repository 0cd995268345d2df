package schedule

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/problem"
)

func sp(s string) *string { return &s }
func bp(b bool) *bool     { return &b }

// dueScore is the schedule's entry in the due set, zero when it has none.
func dueScore(t *testing.T, s *Service, uid, id string) time.Time {
	t.Helper()
	f, err := s.st.R.ZScore(context.Background(), s.dueKey(), member(uid, id)).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}
	}
	if err != nil {
		t.Fatal(err)
	}
	return time.Unix(int64(f), 0).UTC()
}

func TestPatchFields(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	sc, _ := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9)})
	got, err := s.Update(ctx, "u1", boss, sc.ID, Patch{Hour: ip(7), TimeZone: sp("Europe/Berlin"), Compare: ptr(period.PreviousYear), OnNeedsReconnect: sp(Hold)})
	if err != nil {
		t.Fatal(err)
	}
	// Monday 2026-11-30 07:00 in Berlin (CET, UTC+1).
	if want := at("2026-11-30T06:00:00Z"); !got.NextRunAt.Equal(want) || !dueScore(t, s, "u1", sc.ID).Equal(want) {
		t.Fatalf("next run %s, due %s; want %s", got.NextRunAt, dueScore(t, s, "u1", sc.ID), want)
	}
	if got.Compare != period.PreviousYear || got.OnNeedsReconnect != Hold || got.ID != sc.ID || !got.CreatedAt.Equal(sc.CreatedAt) {
		t.Fatalf("patched = %+v", got)
	}
	// A new cadence drops the old day field; monthly needs its day.
	if _, err := s.Update(ctx, "u1", boss, sc.ID, Patch{Cadence: sp(Monthly)}); problem.CodeOf(err) != "invalid_request" {
		t.Fatalf("monthly without day: %v", err)
	}
	got, err = s.Update(ctx, "u1", boss, sc.ID, Patch{Cadence: sp(Monthly), Day: ip(31)})
	if err != nil || got.Weekday != nil || *got.Day != 31 || !got.NextRunAt.Equal(at("2026-11-30T06:00:00Z")) {
		t.Fatalf("to monthly: %+v, %v", got, err)
	}
	wantStored(t, s, "u1", 1)
}

func ptr[T any](v T) *T { return &v }

// Every refused edit leaves the stored schedule, its fingerprint and its due entry as they were.
func TestPatchRefusedChangesNothing(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	a, _ := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9)})
	b, _ := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(2), Hour: ip(9)})
	before := snapshot(t, s, "u1")
	bad := []struct {
		p    Patch
		code string
	}{
		{Patch{Weekday: ip(1)}, "duplicate_schedule"}, // b would be a
		{Patch{Hour: ip(24)}, "invalid_schedule"},
		{Patch{TimeZone: sp("Nowhere/Land")}, "invalid_timezone"},
		{Patch{Day: ip(3)}, "invalid_request"}, // weekly takes weekday
		{Patch{Cadence: sp("daily")}, "invalid_schedule"},
		{Patch{OnNeedsReconnect: sp("maybe")}, "invalid_schedule"},
		{Patch{Recipients: &[]string{"x@y.example\r\nBcc: z@w.example"}}, "invalid_recipient"},
		{Patch{Recipients: &[]string{}}, "invalid_recipient"},
	}
	for _, c := range bad {
		if _, err := s.Update(ctx, "u1", boss, b.ID, c.p); problem.CodeOf(err) != c.code {
			t.Errorf("%+v: %v, want %s", c.p, err, c.code)
		}
	}
	if _, err := s.Update(ctx, "u1", boss, "nope", Patch{Hour: ip(1)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if _, err := s.Update(ctx, "u2", boss, a.ID, Patch{Hour: ip(1)}); !errors.Is(err, ErrNotFound) {
		t.Errorf("another user's schedule: %v", err)
	}
	if after := snapshot(t, s, "u1"); after != before {
		t.Fatalf("refused edits changed Redis:\n%s\n%s", before, after)
	}
	// The same timing to other people is not a duplicate; the same people again is.
	to := []string{"ann@client.example"}
	if _, err := s.Update(ctx, "u1", boss, b.ID, Patch{Weekday: ip(1), Recipients: &to}); err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9), Recipients: []string{"ANN@client.example"}})
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("a copy with the same recipients: %+v, %v", c, err)
	}
	wantStored(t, s, "u1", 2)
}

// snapshot is the user's schedules, fingerprints and due entries as stored.
func snapshot(t *testing.T, s *Service, uid string) string {
	t.Helper()
	ctx := context.Background()
	r := s.st.R
	return fmt.Sprint(r.HGetAll(ctx, s.userKey(uid)).Val(), r.HGetAll(ctx, s.fpKey(uid)).Val(),
		r.ZRangeWithScores(ctx, s.dueKey(), 0, -1).Val(), r.ZRangeWithScores(ctx, s.newRecipientsKey(uid), 0, -1).Val())
}

// A paused schedule is not due and the tick starts nothing for it; resuming three weeks later
// runs it next at its first time after now, not the three runs missed.
func TestPauseResume(t *testing.T) {
	s, p, clk, _ := newService(t)
	ctx := context.Background()
	sc, _ := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9)})
	got, err := s.Update(ctx, "u1", boss, sc.ID, Patch{Paused: bp(true)})
	if err != nil || !got.Paused || !got.NextRunAt.IsZero() || !dueScore(t, s, "u1", sc.ID).IsZero() {
		t.Fatalf("paused: %+v, %v; due %s", got, err, dueScore(t, s, "u1", sc.ID))
	}
	clk.set(at("2026-12-22T10:00:00Z")) // three Mondays later
	if res, err := s.Tick(ctx); err != nil || res.Started != 0 || len(p.msgs) != 0 {
		t.Fatalf("tick while paused: %+v, %v, %d messages", res, err, len(p.msgs))
	}
	// Editing a paused schedule keeps it paused.
	if got, _ = s.Update(ctx, "u1", boss, sc.ID, Patch{Hour: ip(8)}); !got.Paused || !dueScore(t, s, "u1", sc.ID).IsZero() {
		t.Fatalf("edited while paused: %+v", got)
	}
	got, err = s.Update(ctx, "u1", boss, sc.ID, Patch{Paused: bp(false)})
	want := at("2026-12-28T08:00:00Z")
	if err != nil || got.Paused || !got.NextRunAt.Equal(want) || !dueScore(t, s, "u1", sc.ID).Equal(want) {
		t.Fatalf("resumed: %+v, %v; due %s", got, err, dueScore(t, s, "u1", sc.ID))
	}
	if res, _ := s.Tick(ctx); res.Started != 0 {
		t.Fatalf("a tick right after resuming started %d missed runs", res.Started)
	}
	list, _ := s.List(ctx, "u1")
	if len(list) != 1 || !list[0].NextRunAt.Equal(want) {
		t.Fatalf("list = %+v", list)
	}
	wantStored(t, s, "u1", 1)
}

// Editing only the recipients leaves the due entry as the tick left it.
func TestRecipientsEditKeepsTheTicksAdvance(t *testing.T) {
	s, _, clk, _ := newService(t)
	ctx := context.Background()
	sc, _ := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9)})
	clk.set(at("2026-11-30T09:05:00Z"))
	if _, err := s.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	to := []string{boss.Email, "ann@client.example"}
	if _, err := s.Update(ctx, "u1", boss, sc.ID, Patch{Recipients: &to}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Get(ctx, "u1", sc.ID)
	if want := at("2026-12-07T09:00:00Z"); !dueScore(t, s, "u1", sc.ID).Equal(want) || !got.NextRunAt.Equal(want) {
		t.Fatalf("due %s, next_run_at %s; want %s", dueScore(t, s, "u1", sc.ID), got.NextRunAt, want)
	}
}
