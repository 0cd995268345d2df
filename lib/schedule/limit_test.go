package schedule

import (
	"context"
	"errors"
	"testing"

	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// parallel runs f(i) for i in [0, n) in n goroutines released together, and returns the
// errors by i.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	storetest.Together(n, func(i int) { errs[i] = f(i) })
	return errs
}

func count(errs []error, target error) int {
	n := 0
	for _, err := range errs {
		if errors.Is(err, target) || (target == nil && err == nil) {
			n++
		}
	}
	return n
}

// wantStored checks the user's schedules, fingerprints, due entries and index in Redis.
func wantStored(t *testing.T, s *Service, uid string, n int) {
	t.Helper()
	ctx := context.Background()
	r := s.st.R
	if got := r.HLen(ctx, s.userKey(uid)).Val(); got != int64(n) {
		t.Errorf("%d schedules stored, want %d", got, n)
	}
	if got := r.HLen(ctx, s.fpKey(uid)).Val(); got != int64(n) {
		t.Errorf("%d fingerprints stored, want %d", got, n)
	}
	due := 0
	for _, m := range r.ZRange(ctx, s.dueKey(), 0, -1).Val() {
		if len(m) > len(uid) && m[:len(uid)+1] == uid+":" {
			due++
		}
	}
	if due != n {
		t.Errorf("%d due entries, want %d", due, n)
	}
	for _, k := range []string{s.userKey(uid), s.fpKey(uid)} {
		if n > 0 && !r.SIsMember(ctx, s.st.IndexKey(uid), k).Val() {
			t.Errorf("%s is not in the user's index", k)
		}
	}
}

// 20 identical creates at once store one schedule; the others are refused as duplicates.
func TestParallelDuplicateCreates(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	errs := parallel(20, func(int) error {
		_, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9)})
		return err
	})
	if ok, dup := count(errs, nil), count(errs, ErrDuplicate); ok != 1 || dup != 19 {
		t.Fatalf("%d created, %d duplicates (errors %v); want 1 and 19", ok, dup, errs)
	}
	wantStored(t, s, "u1", 1)
	// The same schedule in another zone, or at another hour, is not a duplicate.
	if _, err := s.Create(ctx, "u1", "Europe/Paris", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9)}); err != nil {
		t.Fatal(err)
	}
	wantStored(t, s, "u1", 2)
}

// 20 different creates at once store exactly MaxPerUser schedules.
func TestParallelCreatesKeepTheLimit(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	errs := parallel(20, func(i int) error {
		_, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(i + 1), Hour: ip(6)})
		return err
	})
	if ok, full := count(errs, nil), count(errs, ErrTooMany); ok != MaxPerUser || full != 20-MaxPerUser {
		t.Fatalf("%d created, %d refused (errors %v); want %d and %d", ok, full, errs, MaxPerUser, 20-MaxPerUser)
	}
	wantStored(t, s, "u1", MaxPerUser)
}

// Deleting a schedule frees its fingerprint and its place; the others' stay.
func TestDeleteFreesTheFingerprint(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	var first *Schedule
	for i := 0; i < MaxPerUser; i++ {
		sc, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(i + 1), Hour: ip(6)})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = sc
		}
	}
	if err := s.Delete(ctx, "u1", first.ID); err != nil {
		t.Fatal(err)
	}
	wantStored(t, s, "u1", MaxPerUser-1)
	if _, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(2), Hour: ip(6)}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("a remaining schedule's duplicate: %v", err)
	}
	if _, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Monthly, Day: ip(1), Hour: ip(6)}); err != nil {
		t.Fatalf("re-creating the deleted schedule: %v", err)
	}
	if err := s.DeleteAll(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	wantStored(t, s, "u1", 0)
	if n := s.st.R.Exists(ctx, s.fpKey("u1")).Val(); n != 0 {
		t.Fatal("fingerprints left after DeleteAll")
	}
}

// A schedule stored before fingerprints existed gets one at the next create, so its duplicate
// is refused as well.
func TestDuplicateOfAScheduleWithoutFingerprint(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	sc, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Weekly, Weekday: ip(3), Hour: ip(7)})
	if err != nil {
		t.Fatal(err)
	}
	s.st.R.Del(ctx, s.fpKey("u1")) // as stored before this change
	if _, err := s.Create(ctx, "u1", "UTC", Input{Cadence: Weekly, Weekday: ip(3), Hour: ip(7)}); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate of a schedule without fingerprint: %v", err)
	}
	if got := s.st.R.HGet(ctx, s.fpKey("u1"), sc.fingerprint()).Val(); got != sc.ID {
		t.Fatalf("backfilled fingerprint points to %q, want %q", got, sc.ID)
	}
	wantStored(t, s, "u1", 1)
}
