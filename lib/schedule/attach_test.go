package schedule

import (
	"context"
	"strings"
	"testing"
)

// attach_csv is on for a new schedule unless turned off, for a schedule stored before the
// field existed, and across edits that do not give it; an edit that gives it sets it.
func TestAttachCSV(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	on, err := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9)})
	if err != nil || !on.AttachCSV {
		t.Fatalf("new schedule: attach_csv %v, %v", on != nil && on.AttachCSV, err)
	}
	off, err := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(2), Hour: ip(9), AttachCSV: bp(false)})
	if err != nil || off.AttachCSV {
		t.Fatalf("created off: %+v, %v", off, err)
	}
	if got, err := s.Get(ctx, "u1", off.ID); err != nil || got.AttachCSV {
		t.Fatalf("stored off reads %+v, %v", got, err)
	}
	got, err := s.Update(ctx, "u1", boss, off.ID, Patch{Hour: ip(10)})
	if err != nil || got.AttachCSV {
		t.Fatalf("an edit without attach_csv turned it on: %+v, %v", got, err)
	}
	if got, err = s.Update(ctx, "u1", boss, off.ID, Patch{AttachCSV: bp(true)}); err != nil || !got.AttachCSV {
		t.Fatalf("patched on: %+v, %v", got, err)
	}
	if got, err = s.Get(ctx, "u1", off.ID); err != nil || !got.AttachCSV {
		t.Fatalf("stored on reads %+v, %v", got, err)
	}
}

// A schedule stored before attach_csv existed (no field in its JSON) reads as on.
func TestAttachCSVDefaultForStoredSchedules(t *testing.T) {
	s, _, _, _ := newService(t)
	ctx := context.Background()
	sc, err := s.CreateAs(ctx, "u1", boss, "UTC", Input{Cadence: Weekly, Weekday: ip(1), Hour: ip(9), AttachCSV: bp(false)})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := s.st.R.HGet(ctx, s.userKey("u1"), sc.ID).Result()
	old := strings.Replace(raw, `"attach_csv":false,`, "", 1)
	if old == raw {
		t.Fatalf("stored value has no attach_csv: %s", raw)
	}
	s.st.R.HSet(ctx, s.userKey("u1"), sc.ID, old)
	if got, err := s.Get(ctx, "u1", sc.ID); err != nil || !got.AttachCSV {
		t.Fatalf("an old schedule reads attach_csv %v, %v", got != nil && got.AttachCSV, err)
	}
	if list, err := s.List(ctx, "u1"); err != nil || !list[0].AttachCSV {
		t.Fatalf("list: %+v, %v", list, err)
	}
}
