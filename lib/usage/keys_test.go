package usage_test

import (
	"testing"

	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/share"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
)

// TestKeysAgreeWithTheirOwners: the summary reads lib/share's keys by name (it must not link
// lib/share); this fails when either package renames them.
func TestKeysAgreeWithTheirOwners(t *testing.T) {
	st := storetest.New(t)
	links, _ := report.ShareKeys(st, "r1")
	if share.MadeKey(st, "u1") != st.Key("user", "u1", "share-links") || links != st.Key("report", "r1", "shares") {
		t.Fatal("lib/usage's summary reads share-link keys that lib/share no longer writes")
	}
}
