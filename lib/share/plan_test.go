package share

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/period"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// fixedPlan is a Plans that gives every account plan id.
type fixedPlan plan.ID

func (f fixedPlan) Plan(context.Context, string) (plan.Plan, error) {
	p, _ := plan.Get(plan.ID(f))
	return p, nil
}

// onFree puts the fixture's account on the Free plan (3 share links) and gives it a second
// report.
func (f *fixture) onFree(t *testing.T) *report.Report {
	t.Helper()
	f.svc.SetPlans(fixedPlan(plan.Free))
	if plan.Default().Limits.ShareLinks != 3 {
		t.Fatal("the tests assume 3 share links on Free")
	}
	rep, err := f.reports.Create(context.Background(), report.Request{UserID: f.userID, Spec: period.Spec{Preset: "last_7_days"}, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestShareLinksPlanLimit: the account's links count across its reports; the one over the
// plan is 402 with Redis untouched; revoked, expired and deleted-with-their-report links stop
// counting.
func TestShareLinksPlanLimit(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other := f.onFree(t)
	soon := f.clock.now().Add(time.Hour)
	f.create(t, Options{ExpiresAt: &soon})
	gone, _ := f.create(t, Options{})
	if _, err := f.svc.Create(ctx, f.userID, other.ID, Options{}); err != nil {
		t.Fatal(err)
	}
	before := storetest.Values(t, f.st)
	_, err := f.svc.Create(ctx, f.userID, other.ID, Options{})
	if codeOf(err) != plan.CodeLimit || statusOf(err) != http.StatusPaymentRequired {
		t.Fatalf("fourth link on Free: %v", err)
	}
	if after := storetest.Values(t, f.st); len(after) != len(before) {
		t.Fatalf("a refused link wrote to Redis: %d keys, were %d", len(after), len(before))
	}
	mustCreate := func(why string) {
		t.Helper()
		if _, err := f.svc.Create(ctx, f.userID, other.ID, Options{}); err != nil {
			t.Fatalf("%s: %v", why, err)
		}
	}
	if err := f.svc.Revoke(ctx, f.userID, gone.ID, viewer); err != nil {
		t.Fatal(err)
	}
	mustCreate("after a revocation")
	f.clock.add(2 * time.Hour)
	mustCreate("after a link expired")
	if err := f.reports.Delete(ctx, f.userID, other.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // other's two links went with it
		f.create(t, Options{})
	}
}

// TestAutomaticLinksDoNotCount: the links Metriqs makes for a schedule's guests (lib/delivery)
// are outside the plan's count, so scheduled runs never use up a Free account's links.
func TestAutomaticLinksDoNotCount(t *testing.T) {
	f := newFixture(t)
	f.onFree(t)
	for range 5 {
		f.create(t, Options{Automatic: true})
	}
	for range 3 {
		f.create(t, Options{})
	}
	if _, err := f.svc.Create(context.Background(), f.userID, f.rep.ID, Options{}); codeOf(err) != plan.CodeLimit {
		t.Fatalf("fourth own link: %v", err)
	}
}

// TestShareLinksPlanLimitTogether: 20 creates on two reports at once with one place left make
// exactly one link. Run with REDIS_URL for the real Redis.
func TestShareLinksPlanLimitTogether(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other := f.onFree(t)
	f.create(t, Options{})
	f.create(t, Options{})
	storetest.Together(20, func(i int) {
		rid := f.rep.ID
		if i%2 == 1 {
			rid = other.ID
		}
		if _, err := f.svc.Create(ctx, f.userID, rid, Options{}); err != nil && codeOf(err) != plan.CodeLimit {
			t.Error(err)
		}
	})
	links, _ := report.ShareKeys(f.st, f.rep.ID)
	otherLinks, _ := report.ShareKeys(f.st, other.ID)
	stored := f.st.R.HLen(ctx, links).Val() + f.st.R.HLen(ctx, otherLinks).Val()
	if made := f.st.R.SCard(ctx, MadeKey(f.st, f.userID)).Val(); stored != 3 || made != 3 {
		t.Fatalf("%d links stored, %d counted; want 3", stored, made)
	}
}
