package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

// errorField is the error envelope's field, or "".
func errorField(r *devtest.Response) string {
	var e struct {
		Error struct {
			Field string `json:"field"`
		} `json:"error"`
	}
	r.JSON(&e)
	return e.Error.Field
}

// API.md: field names are exact, each is given once, and text is valid UTF-8. Before json/v2,
// `{"PERIOD": …}` queued a report, the last of two "period"s won, and invalid bytes or a lone
// surrogate were stored as U+FFFD. Each is now a 400 naming the field, and nothing is stored.
func TestReportRequestRefusesLooseJSON(t *testing.T) {
	t.Parallel()
	c, u := signUp(t)
	connectDemo(t, c)
	unchangedFor(t, u["id"].(string), func() {
		for body, field := range map[string]string{
			`{"PERIOD":"last_7_days"}`:                                                  "PERIOD",
			`{"Period":"last_7_days"}`:                                                  "Period",
			`{"period":"last_month","period":"last_7_days"}`:                            "period",
			`{"period":"last_7_days","period":"last_7_days"}`:                           "period",
			"{\"period\":\"last_7_days\xff\"}":                                          "period",
			"{\"period\":\"last_7_days\xed\xa0\x80\"}":                                  "period", // a surrogate, UTF-8 encoded
			`{"period":"last_7_days\ud800"}`:                                            "period",
			`{"period":"\udc00last_7_days"}`:                                            "period",
			`{"period":{"start":"2026-11-01","START":"2026-11-02","end":"2026-11-03"}}`: "period",
			`{"period":{"start":"2026-11-01","end":"2026-11-02","end":"2026-11-03"}}`:   "period.end",
			`{"period":{"start":"2026-11-01\udfff","end":"2026-11-02"}}`:                "period.start",
		} {
			r := c.Do("POST", "/api/reports", body)
			if r.StatusCode != 400 || r.ErrorCode() != "invalid_request" || errorField(r) != field {
				t.Errorf("%q: %d %s, want 400 invalid_request naming %q", body, r.StatusCode, r.Body, field)
			}
		}
	})
	if r := c.Do("GET", "/api/reports", nil); r.StatusCode != 200 || len(r.Map()["reports"].([]any)) != 0 {
		t.Fatalf("reports after refused requests: %s", r.Body)
	}
}

// An e-mail address or name with an invalid byte or a lone surrogate is refused, not stored
// with U+FFFD in its place: no key or value in Redis mentions the address afterwards.
func TestSignupRefusesInvalidText(t *testing.T) {
	t.Parallel()
	email, other := newEmail(), newEmail()
	c := devtest.NewClient(t)
	for body, field := range map[string]string{
		fmt.Sprintf("{\"email\":\"%s\xff\",\"password\":%q,\"name\":\"Ada\"}", email, goodPassword):   "email",
		fmt.Sprintf(`{"email":"%s\ud800","password":%q,"name":"Ada"}`, email, goodPassword):           "email",
		fmt.Sprintf(`{"email":%q,"password":%q,"name":"Ada\udbff"}`, email, goodPassword):             "name",
		fmt.Sprintf(`{"email":%q,"password":%q,"name":"Ada","EMAIL":%q}`, email, goodPassword, other): "EMAIL",
		fmt.Sprintf(`{"email":%q,"password":%q,"name":"Ada","email":%q}`, other, goodPassword, email): "email",
	} {
		r := c.Do("POST", "/api/auth/signup", body)
		if r.StatusCode != 400 || r.ErrorCode() != "invalid_request" || errorField(r) != field {
			t.Errorf("%q: %d %s, want 400 invalid_request naming %q", body, r.StatusCode, r.Body, field)
		}
	}
	for k, v := range devtest.Values(t) {
		if strings.Contains(v, strings.SplitN(email, "@", 2)[0]) || strings.Contains(v, strings.SplitN(other, "@", 2)[0]) {
			t.Errorf("a refused signup was stored: %s = %s", k, v)
		}
	}
	devtest.Want(t, c.Do("POST", "/api/auth/signup", map[string]string{"email": email, "password": goodPassword, "name": "Ada"}), 201, "")
}
