package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/store/storetest"
	"github.com/trymetriqs/metriqs/lib/tz"
)

// storedZones reads the user's profile zone and every stored schedule's zone from Redis.
func storedZones(t *testing.T, userID string) (profile string, schedules []string) {
	t.Helper()
	ctx := context.Background()
	profile = devtest.Store.R.HGet(ctx, devtest.Store.Key("user", userID), "tz").Val()
	for _, raw := range devtest.Store.R.HGetAll(ctx, devtest.Store.Key("user", userID, "schedules")).Val() {
		var sc struct {
			TimeZone string `json:"timezone"`
		}
		if err := json.Unmarshal([]byte(raw), &sc); err != nil {
			t.Fatalf("stored schedule %q: %v", raw, err)
		}
		schedules = append(schedules, sc.TimeZone)
	}
	return profile, schedules
}

func monthly(day int, zone string) map[string]any {
	return map[string]any{"cadence": "monthly", "day": day, "hour": 6, "timezone": zone}
}

// Names that are not zones are refused wherever a zone is taken, naming the field, and nothing
// is stored: a path is a malformed request, a well-formed name that is no place is 422.
func TestTimeZonesRefusedStoreNothing(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	unchangedFor(t, u["id"].(string), func() {
		for zone, want := range map[string]struct {
			status int
			code   string
		}{
			"./UTC": {400, "invalid_request"}, "../../../etc/passwd": {400, "invalid_request"}, "/UTC": {400, "invalid_request"},
			"Europe/Paris\u202e": {400, "invalid_request"}, "Factory": {422, "invalid_timezone"}, "posixrules": {422, "invalid_timezone"},
			"Local": {422, "invalid_timezone"}, "Moon/Base": {422, "invalid_timezone"},
		} {
			for _, r := range []*devtest.Response{c.Do("POST", "/api/schedules", monthly(1, zone)), c.Do("PATCH", "/api/me", map[string]any{"timezone": zone})} {
				var e struct{ Error struct{ Field string } }
				r.JSON(&e)
				if r.StatusCode != want.status || r.ErrorCode() != want.code || e.Error.Field != "timezone" {
					t.Errorf("%s %s %q: %d %s, want %d %s naming timezone", r.Request.Method, r.Request.URL.Path, zone, r.StatusCode, r.Body, want.status, want.code)
				}
			}
		}
	})
}

// A deprecated link is stored as its canonical zone, in the profile and in schedules, and a
// schedule without a zone takes the profile's canonical one.
func TestTimeZoneLinksStoredCanonical(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	id := u["id"].(string)
	onPro(t, id) // four schedules: more than the free plan's
	for link, zone := range map[string]string{"Asia/Calcutta": "Asia/Kolkata", "US/Eastern": "America/New_York", "Etc/UTC": "UTC"} {
		r := c.Do("POST", "/api/schedules", monthly(len(link), link))
		devtest.Want(t, r, 201, "")
		if got := r.Map()["timezone"]; got != zone {
			t.Errorf("schedule in %s answered %v, want %s", link, got, zone)
		}
	}
	r := c.Do("PATCH", "/api/me", map[string]any{"timezone": "Europe/Kiev"})
	devtest.Want(t, r, 200, "")
	if got := r.Map()["user"].(map[string]any)["timezone"]; got != "Europe/Kyiv" {
		t.Errorf("PATCH /api/me Europe/Kiev answered %v", got)
	}
	devtest.Want(t, c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9}), 201, "")
	profile, schedules := storedZones(t, id)
	slices.Sort(schedules)
	if want := []string{"America/New_York", "Asia/Kolkata", "Europe/Kyiv", "UTC"}; profile != "Europe/Kyiv" || !slices.Equal(schedules, want) {
		t.Fatalf("stored profile zone %q, schedule zones %v; want Europe/Kyiv, %v", profile, schedules, want)
	}
}

// 20 requests released together, valid links and refused names mixed, for the profile and for
// schedules: whatever the interleaving, Redis holds only canonical names.
func TestTimeZoneBurstStoresOnlyCanonical(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	bad := []string{"./UTC", "Factory", "posixrules", "Asia/../UTC"}
	storetest.Together(20, func(i int) {
		switch i % 4 {
		case 0:
			c.Do("PATCH", "/api/me", map[string]any{"timezone": "Asia/Calcutta"})
		case 1:
			c.Do("PATCH", "/api/me", map[string]any{"timezone": bad[i%len(bad)]})
		case 2:
			c.Do("POST", "/api/schedules", monthly(i+1, "Europe/Kiev"))
		case 3:
			c.Do("POST", "/api/schedules", monthly(i+1, bad[(i/4)%len(bad)]))
		}
	})
	profile, schedules := storedZones(t, u["id"].(string))
	if profile != "Asia/Kolkata" || len(schedules) == 0 {
		t.Fatalf("stored profile zone %q, %d schedules", profile, len(schedules))
	}
	for _, z := range schedules {
		if z != "Europe/Kyiv" {
			t.Errorf("a schedule was stored in %q", z)
		}
	}
}

// The pickers' list (public/js/tzdata.js, as served) is the API's list: canonical zones only.
func TestTimeZonePickerListIsCanonical(t *testing.T) {
	t.Parallel()
	r := devtest.NewClient(t).Do("GET", "/js/tzdata.js", nil)
	devtest.Want(t, r, 200, "")
	var zones []string
	for line := range strings.Lines(string(r.Body)) {
		if rest, ok := strings.CutPrefix(line, "export const zones = "); ok {
			if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimSpace(rest), ";")), &zones); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.Equal(zones, tz.Zones()) {
		t.Fatalf("served %d zones, the API accepts %d as canonical", len(zones), len(tz.Zones()))
	}
	for _, link := range []string{"Asia/Calcutta", "Europe/Kiev", "US/Eastern", "Etc/UTC", "Factory"} {
		if slices.Contains(zones, link) {
			t.Errorf("the picker lists %s", link)
		}
	}
}
