package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/plan"
	"github.com/trymetriqs/metriqs/lib/provider"
)

// connectDemo connects the sandbox provider for the client's user.
func connectDemo(t *testing.T, c *devtest.Client) {
	t.Helper()
	_, request := startConnect(t, c)
	if q := finish(t, c, decide(t, c, request, "allow", "sites.read", "metrics.read")); q.Get("connected") != "demo" {
		t.Fatalf("connect demo: %v", q)
	}
}

type reportDoc struct {
	ID       string                                                  `json:"id"`
	Title    string                                                  `json:"title"`
	Status   string                                                  `json:"status"`
	Period   struct{ Start, End, PreviousStart, PreviousEnd string } `json:"period"`
	Sections []struct {
		Provider string `json:"provider"`
		Status   string `json:"status"`
		Error    string `json:"error"`
		Metrics  []struct {
			Key       string   `json:"key"`
			Value     float64  `json:"value"`
			Previous  float64  `json:"previous"`
			ChangePct *float64 `json:"change_pct"`
			Unit      string   `json:"unit"`
		} `json:"metrics"`
		Series []struct {
			Key    string `json:"key"`
			Points []struct {
				Date  string  `json:"date"`
				Value float64 `json:"value"`
			} `json:"points"`
		} `json:"series"`
	} `json:"sections"`
	CompletedAt *time.Time `json:"completed_at"`
}

// awaitReport lets the local QStash deliver what it has and returns the report once it is no
// longer queued or running.
func awaitReport(t *testing.T, c *devtest.Client, id string) reportDoc {
	t.Helper()
	for i := 0; i < 100; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = devtest.Server.QStash.WaitIdle(ctx)
		cancel()
		r := c.Do("GET", "/api/reports/"+id, nil)
		devtest.Want(t, r, 200, "")
		var doc reportDoc
		r.JSON(&doc)
		if doc.Status != "queued" && doc.Status != "running" {
			return doc
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("report %s never finished", id)
	return reportDoc{}
}

func requestReport(t *testing.T, c *devtest.Client, period any) string {
	t.Helper()
	r := c.Do("POST", "/api/reports", map[string]any{"period": period})
	devtest.Want(t, r, 202, "")
	m := r.Map()
	if m["status"] != "queued" || m["id"] == "" {
		t.Fatalf("POST /api/reports: %s", r.Body)
	}
	return m["id"].(string)
}

// The whole path with the sandbox: request → QStash delivery → ready report → CSV.
func TestReportEndToEnd(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	connectDemo(t, c)
	// The period ends yesterday as of the moment the report was requested; a run that
	// straddles midnight UTC may see either day.
	endBefore := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	id := requestReport(t, c, "last_7_days")
	doc := awaitReport(t, c, id)
	if doc.Status != "ready" || len(doc.Sections) != 1 || doc.CompletedAt == nil {
		t.Fatalf("report = %+v", doc)
	}
	sec := doc.Sections[0]
	if sec.Provider != "demo" || sec.Status != "ok" || len(sec.Metrics) < 4 || len(sec.Series) == 0 || len(sec.Series[0].Points) != 7 {
		t.Fatalf("demo section = %+v", sec)
	}
	endAfter := time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02")
	if (doc.Period.End != endBefore && doc.Period.End != endAfter) || doc.Title == "" {
		t.Fatalf("period = %+v, title %q", doc.Period, doc.Title)
	}

	r := c.Do("GET", "/api/reports/"+id+"?format=csv", nil)
	if r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("CSV: %d %s", r.StatusCode, r.Header)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	// The tidy layout (docs/metrics.md): a kpi row per metric, a series row per chart point
	// with the comparison day beside it, a top row per number of a top list.
	tables := map[string]int{}
	for _, row := range rows[1:] {
		if row[0] != "demo" {
			t.Fatalf("CSV row of another section: %v", row)
		}
		tables[row[2]]++
	}
	if rows[0][0] != "section" || rows[0][2] != "table" || tables["kpi"] != len(sec.Metrics) || tables["series"] != 7*len(sec.Series) || tables["top:top_pages"] == 0 {
		t.Fatalf("CSV rows per table = %v (%d metrics, %d series)", tables, len(sec.Metrics), len(sec.Series))
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, `filename="metriqs-report-`+doc.Period.Start+"-to-"+doc.Period.End+`.csv"`) || !strings.Contains(cd, "filename*=UTF-8''metriqs-report-") {
		t.Fatalf("Content-Disposition = %q", cd)
	}

	list := c.Do("GET", "/api/reports", nil).Map()["reports"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != id || list[0].(map[string]any)["status"] != "ready" {
		t.Fatalf("list = %v", list)
	}

	// Reports belong to their user.
	other, _ := signUp(t)
	devtest.Want(t, other.Do("GET", "/api/reports/"+id, nil), 404, "not_found")
	devtest.Want(t, other.Do("GET", "/api/reports/"+id+"?format=csv", nil), 404, "not_found")
	devtest.Want(t, other.Do("DELETE", "/api/reports/"+id, nil), 404, "not_found")
	devtest.Want(t, c.Do("GET", "/api/reports/"+id, nil), 200, "")

	// A redelivered generate-report message for a finished report changes nothing.
	before := c.Do("GET", "/api/reports/"+id, nil).Body
	pub, err := jobs.Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Publish(context.Background(), "generate-report", map[string]string{"report_id": id}); err != nil {
		t.Fatal(err)
	}
	awaitReport(t, c, id)
	if after := c.Do("GET", "/api/reports/"+id, nil).Body; !bytes.Equal(before, after) {
		t.Fatalf("a redelivery changed the report:\n%s\n%s", before, after)
	}
	if n := len(c.Do("GET", "/api/reports", nil).Map()["reports"].([]any)); n != 1 {
		t.Fatalf("a redelivery made %d reports", n)
	}

	devtest.Want(t, c.Do("DELETE", "/api/reports/"+id, nil), 204, "")
	devtest.Want(t, c.Do("GET", "/api/reports/"+id, nil), 404, "not_found")
}

func TestReportRequestsRefused(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	devtest.Want(t, c.Do("POST", "/api/reports", map[string]any{"period": "last_7_days"}), 409, "no_integrations")
	connectDemo(t, c)
	unchangedFor(t, u["id"].(string), func() {
		for name, tc := range map[string]struct {
			body   any
			status int
			code   string
		}{
			"no period":        {map[string]any{}, 400, "invalid_request"},
			"unknown preset":   {map[string]any{"period": "last_year"}, 422, "invalid_period"},
			"wrong type":       {map[string]any{"period": 7}, 400, "invalid_request"},
			"end before start": {map[string]any{"period": map[string]string{"start": "2026-03-10", "end": "2026-03-01"}}, 422, "invalid_period"},
			"over a year":      {map[string]any{"period": map[string]string{"start": "2024-01-01", "end": "2025-06-01"}}, 422, "invalid_period"},
			"in the future":    {map[string]any{"period": map[string]string{"start": "2026-01-01", "end": "2099-01-01"}}, 422, "invalid_period"},
			"bad date":         {map[string]any{"period": map[string]string{"start": "2026-02-30", "end": "2026-03-01"}}, 400, "invalid_request"},
			"extra field":      {map[string]any{"period": "last_7_days", "format": "pdf"}, 400, "invalid_request"},
		} {
			if r := c.Do("POST", "/api/reports", tc.body); r.StatusCode != tc.status || r.ErrorCode() != tc.code {
				t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
			}
		}
	})
	if r := c.Do("GET", "/api/reports", nil); r.StatusCode != 200 || len(r.Map()["reports"].([]any)) != 0 {
		t.Fatalf("reports after refused requests: %s", r.Body)
	}
	devtest.Want(t, devtest.NewClient(t).Do("POST", "/api/reports", map[string]any{"period": "last_7_days"}), 401, "unauthenticated")
	devtest.Want(t, c.Do("GET", "/api/reports/not-an-id", nil), 404, "not_found")
}

// A provider that refuses the stored token: the section says what to do, in words.
func TestReportSectionFailsWhenAccessRevoked(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	connectDemo(t, c)
	access, _ := storedTokens(t, u["id"].(string))
	// The grant is revoked at the provider's end, behind Metriqs' back.
	req, _ := http.NewRequest("POST", devtest.Server.URL+"/api/sandbox/revoke", strings.NewReader("token="+access))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(demoClient(t))
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("revoke at the sandbox: %v %v", res, err)
	}
	doc := awaitReport(t, c, requestReport(t, c, "last_28_days"))
	if doc.Status != "failed" || doc.Sections[0].Status != "failed" || !strings.Contains(doc.Sections[0].Error, "Reconnect") {
		t.Fatalf("report = %+v", doc)
	}
	if row := demoRow(t, c); row["status"] != "needs_reauth" {
		t.Fatalf("integration after a refused token: %v", row["status"])
	}
}

func TestJobEndpointsRefuseUnsignedDeliveries(t *testing.T) {
	t.Parallel()
	c := devtest.NewClient(t)
	for _, job := range []string{"generate-report", "tick", "purge-account", "sweep-deleted", "revoke-token"} {
		r := c.Do("POST", "/api/jobs/"+job, map[string]string{"report_id": "aaaaaaaaaaaaaaaaaaaaaaaaaa"})
		devtest.Want(t, r, 401, "unauthenticated")
		c.Header.Set("Upstash-Signature", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJVcHN0YXNoIn0.")
		devtest.Want(t, c.Do("POST", "/api/jobs/"+job, "{}"), 401, "unauthenticated")
		c.Header.Del("Upstash-Signature")
	}
}

func TestSchedulesFireThroughQStash(t *testing.T) {
	// Not parallel: it moves the shared due set's clock by editing one entry.
	c, u := signUp(t)
	connectDemo(t, c)
	r := c.Do("POST", "/api/schedules", map[string]any{"cadence": "weekly", "weekday": 1, "hour": 9, "timezone": "Europe/Paris"})
	devtest.Want(t, r, 201, "")
	sc := r.Map()
	next, err := time.Parse(time.RFC3339, sc["next_run_at"].(string))
	if err != nil || !next.After(time.Now()) || next.In(mustLoc(t, "Europe/Paris")).Hour() != 9 || next.In(mustLoc(t, "Europe/Paris")).Weekday() != time.Monday {
		t.Fatalf("schedule = %v", sc)
	}
	list := c.Do("GET", "/api/schedules", nil).Map()["schedules"].([]any)
	if len(list) != 1 {
		t.Fatalf("schedules = %v", list)
	}

	// Make it due, then deliver the tick twice, as QStash may.
	ctx := context.Background()
	member := u["id"].(string) + ":" + sc["id"].(string)
	devtest.Store.R.ZAdd(ctx, devtest.Store.Key("schedules", "due"), redisZ(time.Now().Add(-time.Minute), member))
	pub, _ := jobs.Default()
	for i := 0; i < 2; i++ {
		if _, err := pub.Publish(ctx, "tick", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	var reports []any
	for i := 0; i < 100 && len(reports) == 0; i++ {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_ = devtest.Server.QStash.WaitIdle(wctx)
		cancel()
		reports = c.Do("GET", "/api/reports", nil).Map()["reports"].([]any)
	}
	if len(reports) != 1 {
		t.Fatalf("two ticks made %d reports, want 1", len(reports))
	}
	doc := awaitReport(t, c, reports[0].(map[string]any)["id"].(string))
	if doc.Status != "ready" {
		t.Fatalf("scheduled report = %+v", doc)
	}
	score, _ := devtest.Store.R.ZScore(ctx, devtest.Store.Key("schedules", "due"), member).Result()
	if !time.Unix(int64(score), 0).After(time.Now()) {
		t.Fatal("the schedule was not advanced")
	}

	devtest.Want(t, c.Do("DELETE", "/api/schedules?id="+sc["id"].(string), nil), 204, "")
	devtest.Want(t, c.Do("DELETE", "/api/schedules?id="+sc["id"].(string), nil), 404, "not_found")
	if _, err := devtest.Store.R.ZScore(ctx, devtest.Store.Key("schedules", "due"), member).Result(); err == nil {
		t.Fatal("deleted schedule still due")
	}
}

func TestSchedulesRefuseBadInput(t *testing.T) {
	t.Parallel()
	c, _ := signUp(t)
	for name, tc := range map[string]struct {
		body   any
		status int
		code   string
	}{
		"no cadence":     {map[string]any{"hour": 9}, 400, "invalid_request"},
		"daily":          {map[string]any{"cadence": "daily", "hour": 9}, 422, "invalid_schedule"},
		"no weekday":     {map[string]any{"cadence": "weekly", "hour": 9}, 400, "invalid_request"},
		"weekday 7":      {map[string]any{"cadence": "weekly", "weekday": 7, "hour": 9}, 422, "invalid_schedule"},
		"hour 24":        {map[string]any{"cadence": "monthly", "day": 1, "hour": 24}, 422, "invalid_schedule"},
		"day 0":          {map[string]any{"cadence": "monthly", "day": 0, "hour": 1}, 422, "invalid_schedule"},
		"bad zone":       {map[string]any{"cadence": "monthly", "day": 1, "hour": 1, "timezone": "Moon/Base"}, 422, "invalid_timezone"},
		"hour as string": {map[string]any{"cadence": "monthly", "day": 1, "hour": "9"}, 400, "invalid_request"},
	} {
		if r := c.Do("POST", "/api/schedules", tc.body); r.StatusCode != tc.status || r.ErrorCode() != tc.code {
			t.Errorf("%s: %d %s", name, r.StatusCode, r.Body)
		}
	}
	if n := len(c.Do("GET", "/api/schedules", nil).Map()["schedules"].([]any)); n != 0 {
		t.Fatalf("refused requests made %d schedules", n)
	}
	for i := range plan.Default().Limits.Schedules {
		devtest.Want(t, c.Do("POST", "/api/schedules", map[string]any{"cadence": "monthly", "day": i + 1, "hour": 6}), 201, "")
	}
	devtest.Want(t, c.Do("POST", "/api/schedules", map[string]any{"cadence": "monthly", "day": 9, "hour": 6}), 402, "plan_limit")
	devtest.Want(t, c.Do("DELETE", "/api/schedules", nil), 400, "invalid_request")
}

// demoClient is the sandbox OAuth client's credentials, as the server derives them.
func demoClient(t *testing.T) (string, string) {
	t.Helper()
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	c := provider.DemoCredentials(cfg.TokenKeys)
	return c.ClientID, c.ClientSecret
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func redisZ(at time.Time, member string) redis.Z {
	return redis.Z{Score: float64(at.Unix()), Member: member}
}
