package metrics

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// googleErrorBody is the error shape of Google APIs: the AIP-193 form (status + details[] of
// google.rpc.ErrorInfo, used by the GA4 Data API) and the older form (errors[].reason, still
// sent by the Search Console API). We read both.
// https://cloud.google.com/apis/design/errors
type googleErrorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Reason string `json:"reason"`
		} `json:"details"`
		Errors []struct {
			Reason string `json:"reason"`
		} `json:"errors"`
	} `json:"error"`
}

func (b googleErrorBody) has(reasons ...string) bool {
	for _, r := range reasons {
		if b.Error.Status == r {
			return true
		}
		for _, d := range b.Error.Details {
			if d.Reason == r {
				return true
			}
		}
		for _, e := range b.Error.Errors {
			if e.Reason == r {
				return true
			}
		}
	}
	return false
}

// googleAPI is a Google API whose 403 means one of three things: a quota (retry), a token
// without the scope we need (reconnect, RFC 6750 §3.1 insufficient_scope), or a Google
// account that lost access to the property (noAccess: reconnecting with the same account
// will not help, choosing another property or account will).
func googleAPI(provider, noAccess string) api {
	return api{provider: provider, onError: func(status int, h http.Header, body []byte) *Error {
		var b googleErrorBody
		_ = json.Unmarshal(body, &b) // an unreadable body just falls through to the status rules
		name := displayName(provider)
		cause := errors.New(snippet(body))
		switch {
		case status == http.StatusTooManyRequests || b.has("RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"):
			e := newError(provider, ErrTransient, status, fmt.Sprintf("%s quota is used up for now; the report will try again later.", name), cause)
			e.RetryAfter = retryAfter(h, time.Now())
			return e
		case status == http.StatusForbidden && (strings.Contains(h.Get("WWW-Authenticate"), "insufficient_scope") ||
			b.has("ACCESS_TOKEN_SCOPE_INSUFFICIENT", "insufficientPermissions")):
			return newError(provider, ErrReauth, status, fmt.Sprintf("Reconnect %s: Metriqs is missing a permission it needs to read your data.", name), cause)
		case status == http.StatusForbidden:
			return newError(provider, ErrPermanent, status, noAccess, cause)
		}
		return nil
	}}
}
