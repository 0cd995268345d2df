package mail

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// A send-email job removes the user's records older than Retention and keeps the newer ones;
// the hash stays in the user's index while it holds any record.
func TestDeliverTrimsRecordsPastRetention(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, k := range []string{"old:1", "old:2"} {
		if err := f.s.Enqueue(ctx, testMessage(k)); err != nil {
			t.Fatal(err)
		}
		if err := f.s.Deliver(ctx, body("u1", k), f.out); err != nil {
			t.Fatal(err)
		}
	}
	f.clk.Add(Retention - time.Hour)
	if err := f.s.Enqueue(ctx, testMessage("recent")); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(2 * time.Hour)
	if err := f.s.Enqueue(ctx, testMessage("new")); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Deliver(ctx, body("u1", "new"), f.out); err != nil {
		t.Fatal(err)
	}
	recs, err := f.s.Sent(ctx, "u1")
	if err != nil || len(recs) != 2 || recs[0].Key != "new" || recs[1].Key != "recent" {
		t.Fatalf("after the trim Sent = %+v, %v; want new and recent only", recs, err)
	}
	if in, _ := f.s.st.R.SIsMember(ctx, f.s.st.IndexKey("u1"), f.s.mailKey("u1")).Result(); !in {
		t.Fatal("the mail hash left the index while it holds records")
	}
}

// When every record is past Retention, the hash and its index entry go together; a later
// message puts both back. Enqueue gives the hash an expiry of Retention, so the history of a
// user who gets no more mail goes too.
func TestTrimRemovesTheLastRecordWithItsIndexEntry(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Enqueue(ctx, testMessage("k")); err != nil {
		t.Fatal(err)
	}
	if ttl := f.s.st.R.TTL(ctx, f.s.mailKey("u1")).Val(); ttl <= Retention-time.Minute || ttl > Retention {
		t.Fatalf("the mail hash expires in %s, want %s", ttl, Retention)
	}
	f.clk.Add(Retention + time.Second)
	if err := f.s.trim(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if n := f.s.st.R.Exists(ctx, f.s.mailKey("u1")).Val(); n != 0 {
		t.Fatal("the mail hash is still there")
	}
	if in := f.s.st.R.SIsMember(ctx, f.s.st.IndexKey("u1"), f.s.mailKey("u1")).Val(); in {
		t.Fatal("the index still lists the removed mail hash")
	}
	if err := f.s.Enqueue(ctx, testMessage("k2")); err != nil {
		t.Fatal(err)
	}
	if in := f.s.st.R.SIsMember(ctx, f.s.st.IndexKey("u1"), f.s.mailKey("u1")).Val(); !in {
		t.Fatal("a new message did not put the hash back into the index")
	}
}

// A record a delivery still holds is not trimmed, however old: the delivery settles it.
func TestTrimKeepsAClaimedRecord(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.s.Enqueue(ctx, testMessage("k")); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(Retention + time.Second)
	if c, err := f.s.claim(ctx, "u1", "k"); err != nil || c == nil {
		t.Fatalf("claim: %v %v", c, err)
	}
	if err := f.s.trim(ctx, "u1"); err != nil {
		t.Fatal(err)
	}
	if r := f.record(t, "u1", "k"); r.Status != StatusSending {
		t.Fatalf("record %+v", r)
	}
}

// Trims of a history whose every record expired, racing with a new message: however they
// interleave, the new message is kept, and the hash is in the user's index whenever it exists
// (the index invariant, lib/store/index.go). One writer among many trims, so that no later
// write repairs what a trim without its WATCH would break.
func TestTrimRacingEnqueueKeepsTheIndex(t *testing.T) {
	for round := range 100 {
		f := newFixture(t)
		ctx := context.Background()
		for i := range 3 {
			if err := f.s.Enqueue(ctx, testMessage(fmt.Sprintf("old:%d", i))); err != nil {
				t.Fatal(err)
			}
		}
		f.clk.Add(Retention + time.Second)
		storetest.Together(12, func(i int) {
			var err error
			if i == 6 {
				err = f.s.Enqueue(ctx, testMessage("new"))
			} else {
				err = f.s.trim(ctx, "u1")
			}
			if err != nil {
				t.Error(err)
			}
		})
		_, err := f.s.st.R.HGet(ctx, f.s.mailKey("u1"), "new").Result()
		in := f.s.st.R.SIsMember(ctx, f.s.st.IndexKey("u1"), f.s.mailKey("u1")).Val()
		if err != nil || !in {
			t.Fatalf("round %d: the new record: %v; the hash in the index: %v", round, err, in)
		}
	}
}
