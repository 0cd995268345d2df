package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/ratelimit"
	"github.com/trymetriqs/metriqs/lib/seal"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/totp"
	"github.com/trymetriqs/metriqs/lib/web"
)

// An enrolment not confirmed within this time is forgotten.
const enrolTimeout = 15 * time.Minute

var (
	limitMFAUser = ratelimit.Limit{Name: "mfa-user", Max: 10, Window: 15 * time.Minute}
	limitMFAIP   = ratelimit.Limit{Name: "mfa-ip", Max: 30, Window: 15 * time.Minute, ByIP: true}
)

// Errors of the 2FA flows.
var (
	ErrTOTPEnabled    = problem.Conflict("totp_already_enabled", "Two-factor authentication is already on.")
	ErrTOTPNotEnabled = problem.Conflict("totp_not_enabled", "Two-factor authentication is not on.")
	ErrNoEnrolment    = problem.Conflict("no_pending_enrolment", "Start setting up two-factor authentication first; the setup may have expired.")
	errBadCode        = errors.New("second factor refused")
)

func (s *Service) totpKey(uid string) string     { return s.st.Key("user", uid, "totp") }
func (s *Service) pendingKey(uid string) string  { return s.st.Key("user", uid, "totp", "pending") }
func (s *Service) recoveryKey(uid string) string { return s.st.Key("user", uid, "recovery") }

// Enrolment is what POST /api/account/totp shows: the secret for manual entry, the otpauth URI
// and its QR code. EnrolTOTP leaves QRPNG empty: the caller draws it (lib/totp/qr), so that
// image/png, whose init registers its decoder, is linked into the enrolment function alone.
type Enrolment struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"`
}

// EnrolInput is the body of POST /api/account/totp.
type EnrolInput struct {
	Password string `json:"password"`
}

// EnrolTOTP starts 2FA set-up. It needs the password, so that a hijacked session cannot enrol
// its own authenticator and lock the owner out (ASVS 5.0 7.5.1: re-authenticate before
// changing authentication factors). The new secret waits, sealed, until a code confirms it.
func (s *Service) EnrolTOTP(ctx context.Context, sess *session.Session, in EnrolInput, c web.Client) (*Enrolment, error) {
	if in.Password == "" {
		return nil, problem.Invalid("password", "Field \"password\" is required.")
	}
	if err := s.limits.Allow(ctx, limitPasswordUser, sess.UserID); err != nil {
		return nil, err
	}
	if err := s.reauthenticate(ctx, sess.UserID, in.Password, nil, c); err != nil {
		return nil, err
	}
	u, err := s.Get(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if u.TOTPEnabled {
		return nil, ErrTOTPEnabled
	}
	k, err := totp.NewKey(u.Email)
	if err != nil {
		return nil, problem.Internal(err)
	}
	sealed, err := s.sealer.Seal([]byte(k.Secret), seal.AAD(u.ID, "totp", "pending"))
	if err != nil {
		return nil, problem.Internal(err)
	}
	pk := s.pendingKey(u.ID)
	_, err = s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, pk, sealed, enrolTimeout)
		s.st.Own(ctx, p, u.ID, pk)
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	return &Enrolment{Secret: k.Secret, OTPAuthURL: k.URL}, nil
}

// ConfirmTOTP turns 2FA on once a code from the pending secret checks out, and returns the
// recovery codes — the only time they are ever shown.
func (s *Service) ConfirmTOTP(ctx context.Context, sess *session.Session, code string, c web.Client) ([]string, error) {
	if code == "" {
		return nil, problem.Invalid("code", "Field \"code\" is required.")
	}
	if err := s.limits.Allow(ctx, limitMFAUser, sess.UserID); err != nil {
		return nil, err
	}
	u, err := s.Get(ctx, sess.UserID)
	if err != nil {
		return nil, err
	}
	if u.TOTPEnabled {
		return nil, ErrTOTPEnabled
	}
	sealed, err := s.st.R.Get(ctx, s.pendingKey(u.ID)).Result()
	if err = store.Err(err); errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoEnrolment
	} else if err != nil {
		return nil, err
	}
	secret, err := s.sealer.Open(sealed, seal.AAD(u.ID, "totp", "pending"))
	if err != nil {
		return nil, ErrNoEnrolment
	}
	step, ok := totp.Match(string(secret), code, s.now())
	if !ok {
		if err := s.log.Record(ctx, u.ID, audit.TOTPFailed, c, "wrong code while enabling"); err != nil {
			return nil, err
		}
		return nil, invalidCode(http.StatusForbidden)
	}
	stored, err := s.sealer.Seal(secret, seal.AAD(u.ID, "totp", "secret"))
	if err != nil {
		return nil, problem.Internal(err)
	}
	codes := totp.NewRecoveryCodes()
	tk, rk := s.totpKey(u.ID), s.recoveryKey(u.ID)
	_, err = s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, tk, "secret", stored, "step", step, "enabled", s.now().Unix())
		p.Del(ctx, s.pendingKey(u.ID))
		replaceRecovery(ctx, p, rk, codes)
		p.HSet(ctx, s.userKey(u.ID), fTOTP, "1")
		p.SAdd(ctx, s.totpIndexKey(), u.ID)
		s.st.Own(ctx, p, u.ID, tk, rk)
		s.log.Add(ctx, p, u.ID, audit.TOTPEnabled, c, "")
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	s.notify(ctx, u.ID, notice.TOTPEnabled, occurrence(stored), c, nil)
	return codes, nil
}

func replaceRecovery(ctx context.Context, p redis.Pipeliner, key string, codes []string) {
	hashes := make([]any, len(codes))
	for i, code := range codes {
		hashes[i] = totp.HashRecoveryCode(code)
	}
	p.Del(ctx, key)
	p.SAdd(ctx, key, hashes...)
}

func invalidCode(status int) error {
	return problem.New(status, "invalid_code", "That code is not correct, or was already used.")
}

// SecondFactor is a TOTP code or a recovery code, exactly one of them.
type SecondFactor struct {
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
}

// resolved reads a recovery code sent as "code" (shared/API.md lets recovery-codes take either
// in that field): six digits are a TOTP code, anything else is a recovery code.
func (f SecondFactor) resolved() SecondFactor {
	if f.RecoveryCode == "" && strings.Trim(f.Code, "0123456789 ") != "" {
		return SecondFactor{RecoveryCode: f.Code}
	}
	return f
}

func (f SecondFactor) validate() error {
	switch {
	case f.Code == "" && f.RecoveryCode == "":
		return problem.Invalid("code", "Send \"code\" (from your authenticator app) or \"recovery_code\".")
	case f.Code != "" && f.RecoveryCode != "":
		return problem.Invalid("recovery_code", "Send either \"code\" or \"recovery_code\", not both.")
	}
	return nil
}

// useStep accepts a TOTP step only if it is later than the last one accepted, atomically: a
// code, even one still within its time window, works once (RFC 6238 §5.2).
var useStep = redis.NewScript(`
local last = tonumber(redis.call('HGET', KEYS[1], 'step') or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('HSET', KEYS[1], 'step', ARGV[1])
return 1
`)

// checkSecondFactor verifies f for the user and uses it up. It returns errBadCode for a wrong,
// reused or malformed code, after logging the failure.
func (s *Service) checkSecondFactor(ctx context.Context, uid string, f SecondFactor, c web.Client) error {
	if f.RecoveryCode != "" {
		n, err := s.st.R.SRem(ctx, s.recoveryKey(uid), totp.HashRecoveryCode(f.RecoveryCode)).Result()
		if err != nil {
			return store.Err(err)
		}
		if n == 1 {
			left, _ := s.st.R.SCard(ctx, s.recoveryKey(uid)).Result()
			if err := s.log.Record(ctx, uid, audit.RecoveryCodeUsed, c, fmt.Sprintf("%d recovery codes left", left)); err != nil {
				return err
			}
			// A code works once (SREM answered 1 only here), so its hash names the event.
			s.notify(ctx, uid, notice.RecoveryCodeUsed, occurrence(totp.HashRecoveryCode(f.RecoveryCode)), c, remaining(left))
			return nil
		}
		if err := s.log.Record(ctx, uid, audit.TOTPFailed, c, "wrong or used recovery code"); err != nil {
			return err
		}
		return errBadCode
	}
	f1, err := s.st.R.HGet(ctx, s.totpKey(uid), "secret").Result()
	if err = store.Err(err); errors.Is(err, store.ErrNotFound) {
		return ErrTOTPNotEnabled
	} else if err != nil {
		return err
	}
	secret, err := s.sealer.Open(f1, seal.AAD(uid, "totp", "secret"))
	if err != nil {
		return problem.Internal(fmt.Errorf("open totp secret: %w", err))
	}
	if step, ok := totp.Match(string(secret), f.Code, s.now()); ok {
		used, err := useStep.Eval(ctx, s.st.R, []string{s.totpKey(uid)}, step).Int()
		if err != nil {
			return store.Err(err)
		}
		if used == 1 {
			return nil
		}
	}
	if err := s.log.Record(ctx, uid, audit.TOTPFailed, c, "wrong or reused code"); err != nil {
		return err
	}
	return errBadCode
}

// beginMFA answers a correct password on a 2FA account: no session yet, a pending sign-in.
func (s *Service) beginMFA(ctx context.Context, w http.ResponseWriter, rec *record, c web.Client) error {
	return s.sessions.BeginPending(ctx, w, rec.ID, rec.Gen)
}

// CompleteMFA finishes a pending sign-in with a second factor and starts the session.
func (s *Service) CompleteMFA(w http.ResponseWriter, r *http.Request, f SecondFactor) (*User, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	ctx, c := r.Context(), web.ClientOf(r)
	if err := s.limits.Allow(ctx, limitMFAIP, c.IP); err != nil {
		return nil, err
	}
	p, err := s.sessions.TakeAttempt(r)
	if err != nil {
		return nil, err
	}
	if err := s.limits.Allow(ctx, limitMFAUser, p.UserID); err != nil {
		return nil, err
	}
	if err := s.checkSecondFactor(ctx, p.UserID, f, c); err != nil {
		if errors.Is(err, errBadCode) {
			return nil, invalidCode(http.StatusUnauthorized)
		}
		return nil, err
	}
	won, err := s.sessions.FinishPending(ctx, w, p)
	if err != nil {
		return nil, err
	}
	if !won {
		return nil, session.ErrPendingExpired
	}
	u, err := s.Get(ctx, p.UserID)
	if err != nil {
		return nil, err
	}
	how := "password and authenticator code"
	if f.RecoveryCode != "" {
		how = "password and recovery code"
	}
	if err := s.startSession(ctx, w, p.UserID, c, true, how); err != nil {
		return nil, err
	}
	return u, nil
}

// DisableInput is the body of DELETE /api/account/totp.
type DisableInput struct {
	Password string `json:"password"`
	SecondFactor
}

// DisableTOTP turns 2FA off; it needs the password and a current code (or a recovery code),
// and voids the recovery codes.
func (s *Service) DisableTOTP(ctx context.Context, sess *session.Session, in DisableInput, c web.Client) error {
	if in.Password == "" {
		return problem.Invalid("password", "Field \"password\" is required.")
	}
	if err := in.SecondFactor.validate(); err != nil {
		return err
	}
	// A password guess here counts like one at a password change, and a code like one at
	// sign-in.
	if err := s.limits.Allow(ctx, limitPasswordUser, sess.UserID); err != nil {
		return err
	}
	if err := s.limits.Allow(ctx, limitMFAUser, sess.UserID); err != nil {
		return err
	}
	if err := s.reauthenticate(ctx, sess.UserID, in.Password, &in.SecondFactor, c); err != nil {
		return err
	}
	var secret *redis.StringCmd
	_, err := s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		// The sealed secret being removed names this disabling (one per enrolment).
		secret = p.HGet(ctx, s.totpKey(sess.UserID), "secret")
		p.Del(ctx, s.totpKey(sess.UserID), s.recoveryKey(sess.UserID))
		p.SRem(ctx, s.totpIndexKey(), sess.UserID)
		p.HSet(ctx, s.userKey(sess.UserID), fTOTP, "0")
		// A sign-in waiting for a code of the old secret must not finish later.
		s.sessions.RevokePending(ctx, p, sess.UserID)
		s.log.Add(ctx, p, sess.UserID, audit.TOTPDisabled, c, "")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) { // Nil: no secret to read; the rest ran
		return store.Err(err)
	}
	s.notify(ctx, sess.UserID, notice.TOTPDisabled, occurrence(secret.Val()), c, nil)
	return nil
}

// RegenerateInput is the body of POST /api/account/recovery-codes.
type RegenerateInput struct {
	Password string `json:"password"`
	SecondFactor
}

// RegenerateRecoveryCodes replaces the recovery codes after checking the password and a
// current code (or a recovery code): new codes are a second factor, so making them takes the
// second factor too (ASVS 5.0 7.5.1), or a stolen password and session would yield one.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, sess *session.Session, in RegenerateInput, c web.Client) ([]string, error) {
	if in.Password == "" {
		return nil, problem.Invalid("password", "Field \"password\" is required.")
	}
	in.SecondFactor = in.SecondFactor.resolved()
	if err := in.SecondFactor.validate(); err != nil {
		return nil, err
	}
	if err := s.limits.Allow(ctx, limitPasswordUser, sess.UserID); err != nil {
		return nil, err
	}
	if err := s.limits.Allow(ctx, limitMFAUser, sess.UserID); err != nil {
		return nil, err
	}
	if err := s.reauthenticate(ctx, sess.UserID, in.Password, &in.SecondFactor, c); err != nil {
		return nil, err
	}
	codes := totp.NewRecoveryCodes()
	_, err := s.st.R.TxPipelined(ctx, func(p redis.Pipeliner) error {
		replaceRecovery(ctx, p, s.recoveryKey(sess.UserID), codes)
		s.log.Add(ctx, p, sess.UserID, audit.RecoveryCodesRenewed, c, "")
		return nil
	})
	if err != nil {
		return nil, store.Err(err)
	}
	s.notify(ctx, sess.UserID, notice.RecoveryCodesRenewed, occurrence(codes...), c, nil)
	return codes, nil
}

// reauthenticate checks the password and, when f is given, the second factor, for a
// sensitive change by a signed-in user: 403 invalid_password or invalid_code.
func (s *Service) reauthenticate(ctx context.Context, uid, pw string, f *SecondFactor, c web.Client) error {
	rec, err := s.live(ctx, uid)
	if err != nil {
		return err
	}
	if !s.matches(rec.PasswordHash, pw) {
		if err := s.log.Record(ctx, uid, audit.SignInFailed, c, "wrong password on a security change"); err != nil {
			return err
		}
		return problem.New(http.StatusForbidden, "invalid_password", "The password is not correct.")
	}
	if f == nil {
		return nil
	}
	if !rec.TOTPEnabled {
		return ErrTOTPNotEnabled
	}
	if err := s.checkSecondFactor(ctx, uid, *f, c); err != nil {
		if errors.Is(err, errBadCode) {
			return invalidCode(http.StatusForbidden)
		}
		return err
	}
	return nil
}
