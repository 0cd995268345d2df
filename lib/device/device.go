// Package device tells the devices an account signs in from apart, so that a sign-in from one
// it has not used before can be told to the owner (ASVS 5.0 6.3.5: notify on suspicious
// authentication; lib/notice). A device is a browser profile: a long-lived random cookie set
// at sign-in (web.DeviceCookie), with the User-Agent's family ("Chrome on macOS") as the
// fallback when the cookie is gone (cleared, another profile of the same browser).
//
// Known devices are kept per user, at most Cap of them (the least recently seen goes first),
// in one hash in the user's key index: personal data, removed by the purge and listed by the
// export.
package device

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/ids"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Cap is how many devices an account remembers. More than a person uses; small enough that
// the check stays one short script.
const Cap = 20

// CookieLifetime is the device cookie's Max-Age: the longest browsers keep a cookie
// (Chrome caps Max-Age at 400 days, RFC 6265bis §5.5).
const CookieLifetime = 400 * 24 * time.Hour

// Verdicts of Seen.
const (
	First      = "first"  // the account had no device yet: its first sign-in, never news
	Known      = "known"  // the device cookie is one the account has used
	SameFamily = "family" // an unknown cookie (or none), but a browser and system the account uses
	Unfamiliar = "new"    // a device this account has not used before: tell the owner
)

// Tracker remembers the devices of accounts.
type Tracker struct {
	st  *store.Store
	now func() time.Time
}

// New returns a Tracker over st.
func New(st *store.Store, now func() time.Time) *Tracker { return &Tracker{st: st, now: now} }

func (t *Tracker) key(userID string) string { return t.st.Key("user", userID, "devices") }

// Identify returns the request's device id (its cookie when well-formed, else a new one)
// and sets the cookie on w, renewing its lifetime. A cookie that is not an ids.New id is
// replaced, so a client cannot write what it likes into the user's device list.
func Identify(w http.ResponseWriter, c web.Client) string {
	id := c.Device
	if !ids.Valid(id) {
		id = ids.New()
	}
	http.SetCookie(w, &http.Cookie{
		Name: web.DeviceCookie, Value: id, Path: "/", MaxAge: int(CookieLifetime / time.Second),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
	return id
}

// seenScript records device ARGV[1] (family ARGV[2], seen at ARGV[3]) in the hash KEYS[1]
// of id -> {"f":family,"s":unix} and returns the verdict, in one step: of two parallel
// sign-ins from one new browser, the second sees the first's family and is not news. Beyond
// ARGV[4] entries the least recently seen is dropped.
var seenScript = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
local verdict = 'new'
if #all == 0 then verdict = 'first' end
local oldest, oldestAt, n = nil, nil, #all / 2
for i = 1, #all, 2 do
  local d = cjson.decode(all[i+1])
  if all[i] == ARGV[1] then verdict = 'known' elseif verdict == 'new' and d.f == ARGV[2] then verdict = 'family' end
  if all[i] ~= ARGV[1] and (oldestAt == nil or d.s < oldestAt) then oldest, oldestAt = all[i], d.s end
end
if verdict ~= 'known' then n = n + 1 end
if n > tonumber(ARGV[4]) and oldest then redis.call('HDEL', KEYS[1], oldest) end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode({f = ARGV[2], s = tonumber(ARGV[3])}))
return verdict
`)

// Seen records that userID signed in from device id with client c, and says whether that
// device is news to the account. The hash enters the user's index in the same transaction.
func (t *Tracker) Seen(ctx context.Context, userID, id string, c web.Client) (string, error) {
	k := t.key(userID)
	var verdict *redis.Cmd
	_, err := t.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		verdict = seenScript.Eval(ctx, p, []string{k}, id, Describe(c.UserAgent), t.now().Unix(), Cap)
		t.st.Own(ctx, p, userID, k)
		return nil
	})
	if err != nil {
		return "", store.Err(fmt.Errorf("device: record %s: %w", userID, err))
	}
	return verdict.Text()
}

// Device is a remembered device, as the export shows it.
type Device struct {
	Description string    `json:"description"`
	LastSeen    time.Time `json:"last_seen"`
}

// List returns the user's devices, most recently seen first, without their cookie ids
// (a cookie id is a bearer of "this is a known device").
func (t *Tracker) List(ctx context.Context, userID string) ([]Device, error) {
	all, err := t.st.R.HGetAll(ctx, t.key(userID)).Result()
	if err != nil {
		return nil, store.Err(err)
	}
	out := make([]Device, 0, len(all))
	for _, raw := range all {
		var d struct {
			F string `json:"f"`
			S int64  `json:"s"`
		}
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return nil, fmt.Errorf("device: decode: %w", err)
		}
		out = append(out, Device{Description: d.F, LastSeen: time.Unix(d.S, 0).UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out, nil
}
