// Package share is a report's read-only share links: a link is an unguessable token (256
// random bits) that lets anyone holding it see one report without an account or a cookie,
// optionally until an expiry and behind a password. Only the token's SHA-256 is stored, and the
// link's id is that hash, so neither Redis nor the owner's list of links can give a token back.
//
// A link's record lives beside its report (report.ShareKeys), so deleting the report deletes
// its links and their pointers in the same transaction, and every key is in the owner's key index, so the
// account's purge removes them.
package share

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/report"
	"github.com/trymetriqs/metriqs/lib/store"
)

// Reports is what links need of reports: the owner's report, as GET /api/reports/{id} shows it.
type Reports interface {
	Get(ctx context.Context, userID, id string) (*report.Report, error)
}

// Service creates, lists, revokes and opens share links.
type Service struct {
	st      *store.Store
	reports Reports
	log     *audit.Log
	limits  *ratelimit.Limiter
	appURL  string
	now     func() time.Time
	plans   Plans
}

// New returns a Service; appURL is where the viewer page is (config.AppURL).
func New(st *store.Store, reports Reports, appURL string, now func() time.Time) *Service {
	return &Service{st: st, reports: reports, log: audit.New(st, now), limits: ratelimit.New(st), appURL: appURL, now: now}
}

// Path is the viewer page. The token travels in the URL's fragment, which browsers never send
// to a server nor put in a Referer, so it stays out of access logs and other sites' logs.
const Path = "/shared"

// Errors. Revoked, expired, unknown and deleted-with-its-report links are all the same 404, so
// a viewer learns nothing about a link that no longer works.
var (
	ErrNotFound         = problem.NotFound("This link does not exist, has expired or was revoked.")
	ErrPasswordRequired = problem.New(http.StatusUnauthorized, "password_required", "This report is protected by a password.")
	ErrInvalidPassword  = problem.New(http.StatusUnauthorized, "invalid_password", "That password is not right.")
)

// record is a link as stored in its report's links hash, under the link's id.
type record struct {
	UserID    string     `json:"uid"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
	// Password is the bcrypt hash of the link's password (lib/password), "" without one.
	Password string `json:"pw,omitempty"`
}

func (r record) expired(now time.Time) bool { return r.ExpiresAt != nil && !now.Before(*r.ExpiresAt) }

func decodeRecord(raw string) (record, error) {
	var rec record
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return rec, fmt.Errorf("share: decode link: %w", err)
	}
	return rec, nil
}

var lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// tokenBytes is the token's length: 256 bits, twice the 128 the issue asks for.
const tokenBytes = 32

// idOf is a token's link id: the first 128 bits of its SHA-256, in the form of lib/ids. A
// fast hash is enough: the token is random, so there is nothing to guess offline.
func idOf(token string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenBytes {
		return "", false
	}
	sum := sha256.Sum256([]byte(token))
	return lowerBase32.EncodeToString(sum[:16]), true
}

// pointerKey maps a link id to its owner and report ("uid/report id"), in the owner's index;
// the report's deletion deletes it (report.SharePointerKey).
func (s *Service) pointerKey(id string) string { return report.SharePointerKey(s.st, id) }

func pointer(userID, reportID string) string { return userID + "/" + reportID }

func parsePointer(v string) (userID, reportID string, ok bool) {
	return strings.Cut(v, "/")
}

// url is the viewer page's address for a token.
func (s *Service) url(token string) string { return s.appURL + Path + "#" + token }
