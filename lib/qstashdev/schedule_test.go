package qstashdev_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/upstash/qstash-go"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/qstashdev"
	"github.com/trymetriqs/metriqs/lib/testclock"
)

func TestSchedulesCRUDAndFiring(t *testing.T) {
	// Half a minute past a whole minute, so "* * * * *" next fires 30 s later.
	clk := testclock.New(time.Now().UTC().Truncate(time.Minute).Add(30 * time.Second))
	srv, client := standIn(t, qstashdev.Options{Clock: clk.Now})
	dest := newSink(t, nil)
	url := dest.URL + "/api/jobs/tick"

	// Create goes to /v2/Schedules/… (capital S) in qstash-go v1.0.0; CreateJSON does not.
	every, err := client.Schedules().Create(qstash.ScheduleOptions{Destination: url, Cron: "* * * * *", Body: "tick", ContentType: "text/plain"})
	if err != nil {
		t.Fatal(err)
	}
	// The hourly schedule must stay quiet for the few minutes this test runs, whatever the
	// real time of day: it fires half an hour away from the clock.
	hourlyCron := fmt.Sprintf("%d * * * *", (clk.Now().Minute()+30)%60)
	hourly, err := client.Schedules().CreateJSON(qstash.ScheduleJSONOptions{Destination: dest.URL + "/hourly", Cron: hourlyCron, Body: map[string]any{"k": 1}, Retries: qstash.RetryCount(1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Schedules().Create(qstash.ScheduleOptions{Destination: url, Cron: "61 * * * *"}); err == nil {
		t.Error("an invalid cron was accepted")
	}

	got, err := client.Schedules().Get(every)
	if err != nil {
		t.Fatal(err)
	}
	firstRun := clk.Now().Add(30 * time.Second)
	if got.Id != every || got.Cron != "* * * * *" || got.Destination != url || got.Method != "POST" || got.Body != "tick" ||
		got.Retries != 3 || got.NextScheduleTime != firstRun.UnixMilli() || got.LastScheduleTime != 0 {
		t.Fatalf("schedule = %+v", got)
	}
	if list, err := client.Schedules().List(); err != nil || len(list) != 2 || list[0].Id != every || list[1].Id != hourly || list[1].Retries != 1 {
		t.Fatalf("list = %+v, %v", list, err)
	}

	waitIdle(t, srv)
	if n := len(dest.deliveries()); n != 0 {
		t.Fatalf("%d deliveries before the first cron time", n)
	}
	clk.Add(30 * time.Second)
	waitIdle(t, srv)
	ds := dest.deliveries()
	if len(ds) != 1 || ds[0].Header.Get("Upstash-Schedule-Id") != every || string(ds[0].Body) != "tick" || ds[0].Header.Get("Content-Type") != "text/plain" {
		t.Fatalf("first run: %+v", ds)
	}
	// The delivery is signed like any other; the test clock runs apart from the real one,
	// so the receivers are given that clock (or a tolerance).
	sig := ds[0].Header.Get("Upstash-Signature")
	if err := qstash.NewReceiver(testCurrent, testNext).Verify(qstash.VerifyOptions{Signature: sig, Url: url, Body: "tick", Tolerance: 2 * time.Minute}); err != nil {
		t.Errorf("qstash-go Receiver: %v", err)
	}
	r := httptest.NewRequest("POST", url, strings.NewReader("tick"))
	r.Header = ds[0].Header
	v := &jobs.Verifier{AppURL: dest.URL, CurrentSigningKey: testCurrent, NextSigningKey: testNext, Now: clk.Now}
	if _, err := v.Verify(r, jobs.Path("tick")); err != nil {
		t.Errorf("jobs.Verifier: %v", err)
	}
	if got, _ := client.Schedules().Get(every); got.LastScheduleTime != firstRun.UnixMilli() || got.NextScheduleTime != firstRun.Add(time.Minute).UnixMilli() {
		t.Fatalf("after a run: last %d next %d", got.LastScheduleTime, got.NextScheduleTime)
	}

	// Paused: no run. Resumed: runs again, without a burst for the missed minute.
	if err := client.Schedules().Pause(every); err != nil {
		t.Fatal(err)
	}
	if got, _ := client.Schedules().Get(every); !got.IsPaused {
		t.Fatal("not paused")
	}
	clk.Add(time.Minute)
	waitIdle(t, srv)
	if n := len(dest.deliveries()); n != 1 {
		t.Fatalf("paused schedule ran: %d deliveries", n)
	}
	if err := client.Schedules().Resume(every); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	waitIdle(t, srv)
	if n := len(dest.deliveries()); n != 2 {
		t.Fatalf("resumed schedule: %d deliveries, want 2", n)
	}

	if err := client.Schedules().Delete(every); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Schedules().Get(every); err == nil {
		t.Fatal("deleted schedule still found")
	}
	if list, _ := client.Schedules().List(); len(list) != 1 || list[0].Id != hourly {
		t.Fatalf("list after delete = %+v", list)
	}
}

func TestCronTimeZone(t *testing.T) {
	if _, err := time.LoadLocation("America/New_York"); err != nil {
		t.Skip("no time zone database on this machine")
	}
	clk := testclock.New(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)) // 07:00 in New York (EST)
	_, client := standIn(t, qstashdev.Options{Clock: clk.Now})
	id, err := client.Schedules().Create(qstash.ScheduleOptions{Destination: "https://example.com/x", Cron: "CRON_TZ=America/New_York 0 9 * * *"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := client.Schedules().Get(id)
	if want := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC); err != nil || got.NextScheduleTime != want.UnixMilli() {
		t.Fatalf("next = %v, want %v (%v)", time.UnixMilli(got.NextScheduleTime).UTC(), want, err)
	}
	// Without CRON_TZ the expression is UTC, whatever the machine's zone.
	id, _ = client.Schedules().Create(qstash.ScheduleOptions{Destination: "https://example.com/x", Cron: "0 9 * * *"})
	if got, _ := client.Schedules().Get(id); got.NextScheduleTime != time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC).UnixMilli() {
		t.Fatalf("UTC next = %v", time.UnixMilli(got.NextScheduleTime).UTC())
	}
}
