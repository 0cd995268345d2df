package schedule

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/period"
)

// 20 PATCHes at once, each adding a new address to one of 5 schedules, never add more
// distinct addresses than the daily allowance: the allowance's set in Redis holds at most
// that many, every stored recipient is in it, and each accepted edit is one of them.
func TestParallelNewRecipientsAllowance(t *testing.T) {
	s, _, clk, _ := newService(t)
	ctx := context.Background()
	const allowance = 5
	s.SetLimits(func(context.Context, string) (Limits, error) {
		return Limits{Schedules: MaxPerUser, Recipients: MaxRecipients, NewRecipientsPerDay: allowance}, nil
	})
	var scheds []*Schedule
	for i := range 5 {
		sc, err := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Monthly, Day: ip(i + 1), Hour: ip(6)})
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, sc)
	}
	errs := parallel(20, func(i int) error {
		to := []string{boss.Email, fmt.Sprintf("client%d@example.com", i)}
		_, err := s.Update(ctx, "u1", boss, scheds[i%5].ID, Patch{Recipients: &to})
		return err
	})
	ok, refused := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case strings.Contains(err.Error(), "too_many_new_recipients"):
			refused++
		case !errors.Is(err, ErrBusy):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	added := s.st.R.ZRange(ctx, s.newRecipientsKey("u1"), 0, -1).Val()
	if len(added) > allowance || len(added) != ok || refused == 0 {
		t.Fatalf("%d edits accepted, %d refused, %d addresses counted (%v); allowance %d", ok, refused, len(added), added, allowance)
	}
	list, _ := s.List(ctx, "u1")
	for _, sc := range list {
		for _, r := range sc.Recipients {
			if !sc.IsOwner(r) && !containsAddress(added, r) {
				t.Errorf("%s is on schedule %s but not counted", r, sc.ID)
			}
		}
	}
	if !s.st.R.SIsMember(ctx, s.st.IndexKey("u1"), s.newRecipientsKey("u1")).Val() {
		t.Error("the allowance's key is not in the user's index")
	}
	wantStored(t, s, "u1", 5)
	// A day later the window has moved on.
	clk.set(clk.now().Add(newRecipientsWindow + time.Second))
	to := []string{"fresh@example.com"}
	if _, err := s.Update(ctx, "u1", boss, scheds[0].ID, Patch{Recipients: &to}); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// Pauses, resumes, edits and a delete of one schedule, all at once, end consistent: the
// schedule is gone with its fingerprint and due entry, or it is there with its fingerprint
// and a due entry exactly when not paused, at the NextRunAt it stores.
func TestParallelPauseEditDelete(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	for round := range 10 {
		sc, err := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(round % 7), Hour: ip(round)})
		if err != nil {
			t.Fatal(err)
		}
		errs := parallel(20, func(i int) error {
			var err error
			switch {
			case i == 19 && round%2 == 0:
				return s.Delete(ctx, "u1", sc.ID)
			case i%4 == 0:
				_, err = s.Update(ctx, "u1", boss, sc.ID, Patch{Paused: bp(true)})
			case i%4 == 1:
				_, err = s.Update(ctx, "u1", boss, sc.ID, Patch{Paused: bp(false)})
			case i%4 == 2: // leaves the due entry alone
				_, err = s.Update(ctx, "u1", boss, sc.ID, Patch{Compare: ptr([]period.Compare{period.PreviousPeriod, period.PreviousYear}[i%3%2])})
			default:
				_, err = s.Update(ctx, "u1", boss, sc.ID, Patch{Hour: ip(i)})
			}
			return err
		})
		for _, err := range errs {
			if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrBusy) {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		wantConsistent(t, s, "u1", sc.ID, round%2 == 0)
		_ = s.Delete(ctx, "u1", sc.ID)
	}
}

func wantConsistent(t *testing.T, s *Service, uid, id string, deleted bool) {
	t.Helper()
	ctx := context.Background()
	_, sc, err := s.getRaw(ctx, uid, id)
	due := dueScore(t, s, uid, id)
	fps := s.st.R.HLen(ctx, s.fpKey(uid)).Val()
	switch {
	case deleted || errors.Is(err, ErrNotFound):
		if !deleted || err == nil || !due.IsZero() || fps != 0 {
			t.Fatalf("deleted %v: err %v, due %s, %d fingerprints", deleted, err, due, fps)
		}
	case sc.Paused:
		if !due.IsZero() || !sc.NextRunAt.IsZero() || fps != 1 {
			t.Fatalf("paused but due %s (next %s), %d fingerprints", due, sc.NextRunAt, fps)
		}
	default:
		if due.IsZero() || !due.Equal(sc.NextRunAt) || !due.Equal(sc.Next(s.now())) || fps != 1 {
			t.Fatalf("active: due %s, next %s, want %s; %d fingerprints", due, sc.NextRunAt, sc.Next(s.now()), fps)
		}
	}
}
