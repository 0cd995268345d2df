package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// A schedule goes to its owner unless told otherwise; PATCH edits recipients (recording who
// added them), pauses and resumes; GET says when no integration is left to report on.
func TestScheduleRecipientsPauseAndSources(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	me := u["email"].(string)
	r := c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9, "timezone": "Europe/Berlin"})
	devtest.Want(t, r, 201, "")
	var sc struct {
		ID               string                    `json:"id"`
		Recipients       []string                  `json:"recipients"`
		Added            map[string]map[string]any `json:"recipients_added"`
		Paused           bool                      `json:"paused"`
		OnNeedsReconnect string                    `json:"on_needs_reconnect"`
		NextRunAt        time.Time                 `json:"next_run_at"`
		SourcesConnected *bool                     `json:"sources_connected"`
		Problem          string                    `json:"problem"`
	}
	r.JSON(&sc)
	if len(sc.Recipients) != 1 || sc.Recipients[0] != me || sc.Added[me]["owner"] != true || sc.Paused || sc.OnNeedsReconnect != "send" {
		t.Fatalf("new schedule = %s", r.Body)
	}
	id := sc.ID
	listed := func() (s struct {
		Schedules []struct {
			ID               string    `json:"id"`
			Paused           bool      `json:"paused"`
			NextRunAt        time.Time `json:"next_run_at"`
			SourcesConnected bool      `json:"sources_connected"`
			Problem          string    `json:"problem"`
		} `json:"schedules"`
	}) {
		devtest.Want(t, c.Do("GET", "/api/schedules", nil), 200, "")
		c.Do("GET", "/api/schedules", nil).JSON(&s)
		return s
	}
	if l := listed(); len(l.Schedules) != 1 || l.Schedules[0].SourcesConnected || l.Schedules[0].Problem != "no_sources" {
		t.Fatalf("without integrations: %+v", l)
	}
	connectDemo(t, c)
	if l := listed(); l.Schedules[0].ID != id || !l.Schedules[0].SourcesConnected || l.Schedules[0].Problem != "" {
		t.Fatalf("with the demo connected: %+v", l)
	}

	verifyAddress(t, me)
	r = c.Do("PATCH", "/api/schedules?id="+id, map[string]any{"recipients": []string{me, "Client@Example.COM"}, "on_needs_reconnect": "hold"})
	devtest.Want(t, r, 200, "")
	r.JSON(&sc)
	if len(sc.Recipients) != 2 || sc.Recipients[1] != "Client@example.com" || sc.Added["Client@example.com"]["by"] != me || sc.OnNeedsReconnect != "hold" {
		t.Fatalf("patched = %s", r.Body)
	}
	r = c.Do("PATCH", "/api/schedules?id="+id, map[string]any{"paused": true})
	devtest.Want(t, r, 200, "")
	if l := listed(); !l.Schedules[0].Paused || !l.Schedules[0].NextRunAt.IsZero() {
		t.Fatalf("paused: %+v", l)
	}
	r = c.Do("PATCH", "/api/schedules?id="+id, map[string]any{"paused": false, "hour": 8})
	devtest.Want(t, r, 200, "")
	if l := listed(); l.Schedules[0].Paused || !l.Schedules[0].NextRunAt.After(time.Now()) {
		t.Fatalf("resumed: %+v", l)
	}
}

// Every bad edit is a clear error that leaves the account's data as it was.
func TestSchedulePatchRefusedUnchanged(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	a := c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9, "timezone": "UTC"}).Map()["id"].(string)
	b := c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 2, "hour": 9, "timezone": "UTC"}).Map()["id"].(string)
	other, _ := signUp(t)
	eleven := []string{}
	for i := range 11 {
		eleven = append(eleven, fmt.Sprintf("c%d@client.example", i))
	}
	unchangedFor(t, u["id"].(string), func() {
		cases := []struct {
			who    *devtest.Client
			path   string
			body   any
			status int
			code   string
		}{
			{c, "?id=" + b, map[string]any{"weekday": 1}, 409, "duplicate_schedule"},
			{c, "?id=" + b, map[string]any{"recipients": []string{"x@y.example\r\nBcc: z@w.example"}}, 422, "invalid_recipient"},
			{c, "?id=" + b, map[string]any{"recipients": []string{"Someone <x@y.example>"}}, 422, "invalid_recipient"},
			{c, "?id=" + b, map[string]any{"recipients": []string{}}, 422, "invalid_recipient"},
			{c, "?id=" + b, map[string]any{"recipients": eleven}, 0, ""}, // the plan's limit decides the code
			{c, "?id=" + b, map[string]any{"hour": 24}, 422, "invalid_schedule"},
			{c, "?id=" + b, map[string]any{"paused": "yes"}, 400, "invalid_request"},
			{c, "?id=" + b, map[string]any{"colour": "red"}, 400, "invalid_request"},
			{c, "?id=" + b, map[string]any{"on_needs_reconnect": "later"}, 422, "invalid_schedule"},
			{c, "", map[string]any{"hour": 1}, 400, "invalid_request"},
			{c, "?id=nope", map[string]any{"hour": 1}, 404, "not_found"},
			{other, "?id=" + a, map[string]any{"hour": 1}, 404, "not_found"},
		}
		for _, k := range cases {
			r := k.who.Do("PATCH", "/api/schedules"+k.path, k.body)
			if k.status == 0 {
				if r.StatusCode < 400 {
					t.Errorf("%v: %d %s", k.body, r.StatusCode, r.Body)
				}
				continue
			}
			if r.StatusCode != k.status || r.ErrorCode() != k.code {
				t.Errorf("%s %v: %d %s, want %d %s", k.path, k.body, r.StatusCode, strings.TrimSpace(string(r.Body)), k.status, k.code)
			}
		}
	})
	devtest.Want(t, c.Do("DELETE", "/api/schedules?id="+a, nil), 204, "")
	devtest.Want(t, c.Do("PATCH", "/api/schedules?id="+a, map[string]any{"paused": true}), 404, "not_found")
}
