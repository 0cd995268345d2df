package audit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/web"
)

func TestRecordListNewestFirstAndCapped(t *testing.T) {
	st := storetest.New(t)
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	l := New(st, func() time.Time { return now })
	ctx := context.Background()
	for i := 0; i < Cap+5; i++ {
		now = now.Add(time.Minute)
		if err := l.Record(ctx, "u1", SignIn, web.Client{IP: "10.0.0.1", UserAgent: "test"}, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	events, err := l.List(ctx, "u1")
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != Cap {
		t.Fatalf("kept %d events, want %d", len(events), Cap)
	}
	if events[0].Detail != fmt.Sprint(Cap+4) || !events[0].At.After(events[1].At) {
		t.Fatalf("first event = %+v; want the newest", events[0])
	}
	if events[0].IP != "10.0.0.1" || events[0].Type != SignIn {
		t.Fatalf("event = %+v", events[0])
	}
	if ok, _ := st.R.SIsMember(ctx, st.IndexKey("u1"), l.key("u1")).Result(); !ok {
		t.Fatal("log key is not in the user's index")
	}
	other, _ := l.List(ctx, "u2")
	if len(other) != 0 {
		t.Fatalf("another user's log has %d events", len(other))
	}
}
