package account

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/notice"
	"github.com/trymetriqs/metriqs/lib/onetime"
	"github.com/trymetriqs/metriqs/lib/password"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// KindPasswordReset is the mail kind of a reset link (lib/mail/accountmail).
const KindPasswordReset = "password_reset"

// ResetRequest is the body of POST /api/auth/password-reset.
type ResetRequest struct {
	Email string `json:"email"`
}

// RequestReset e-mails a reset link to the account with this address, if there is one. The
// caller learns nothing either way (OWASP Forgot Password, ASVS 5.0 6.4.x): the answer is the
// same, and so is its time — the request takes at least resetFloor whatever it did, which
// covers the lookup, the token and the queueing of the known case. An address over its limit is
// answered the same too, silently sending nothing: a 429 only for real accounts would tell them
// apart, and a victim's inbox cannot be flooded.
func (l *Links) RequestReset(ctx context.Context, in ResetRequest, c web.Client) error {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return err
	}
	if err := l.limits.Allow(ctx, limitResetIP, c.IP); err != nil {
		return err
	}
	done := time.After(l.resetFloor)
	err = l.sendReset(ctx, email)
	<-done
	return err
}

// sendReset issues and queues the reset link of a live account, within the address's limit.
func (l *Links) sendReset(ctx context.Context, email string) error {
	if err := l.limits.Allow(ctx, limitResetAddress, email); err != nil {
		return nil // over the limit: the same silence for every address
	}
	rec, err := l.lookup(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	token, hash, err := l.tokens.Issue(ctx, onetime.PasswordReset, onetime.Claim{UserID: rec.ID}, resetTTL)
	if err != nil {
		return err
	}
	return l.enqueue(ctx, mail.Message{Key: mailKey(KindPasswordReset, hash), UserID: rec.ID, To: rec.Email,
		From: mail.FromAccount, Kind: KindPasswordReset,
		Data: map[string]string{"url": l.link("/reset-password", token), "expires_minutes": strconv.Itoa(int(resetTTL / time.Minute))}})
}

// ResetConfirm is the body of POST /api/auth/password-reset/confirm.
type ResetConfirm struct {
	Token       string `json:"token"`
	NewPassword string `json:"new_password"`
	SecondFactor
}

// errResetNeedsCode asks for the second factor of a 2FA account: a reset link proves the
// mailbox, not the second factor, so it never switches 2FA off (ASVS 5.0 6.4.3).
var errResetNeedsCode = problem.New(http.StatusUnauthorized, "mfa_required", "Two-factor authentication is on: enter a code from your authenticator app or a recovery code.")

// ConfirmReset sets a new password with a reset token. The token is checked first and spent
// last, together with the new hash, in one transaction (onetime.Redeem): of parallel confirms
// exactly one changes the password. A wrong second factor spends nothing (the code attempts
// are limited per account instead). Afterwards every session and pending sign-in of the
// account ends, and no session is started: the user signs in with the new password.
func (l *Links) ConfirmReset(ctx context.Context, in ResetConfirm, c web.Client) error {
	if err := l.limits.Allow(ctx, limitTokenIP, c.IP); err != nil {
		return err
	}
	claim, err := l.tokens.Peek(ctx, onetime.PasswordReset, in.Token)
	if err != nil {
		return err
	}
	rec, err := l.liveRecord(ctx, claim.UserID)
	if err != nil {
		return err
	}
	if err := l.resetChecks(ctx, rec, in, c); err != nil {
		return err
	}
	hash, err := password.Hash(in.NewPassword)
	if err != nil {
		return problem.Internal(fmt.Errorf("reset password: hash: %w", err))
	}
	if err := l.spendReset(ctx, in.Token, hash, c); err != nil {
		return err
	}
	if _, err := l.sessions.RevokeAll(ctx, rec.ID, ""); err != nil {
		return err
	}
	l.securityNotice(ctx, rec.ID, rec.Email, notice.PasswordReset, occurrence(hash), notice.Security{Client: c})
	return nil
}

// liveRecord loads the account a token belongs to; a closed one makes the token invalid.
func (l *Links) liveRecord(ctx context.Context, uid string) (*record, error) {
	rec, err := l.load(ctx, uid)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Deleted) {
		return nil, onetime.ErrInvalid
	}
	return rec, err
}

// resetChecks validates the new password and, with 2FA on, the second factor.
func (l *Links) resetChecks(ctx context.Context, rec *record, in ResetConfirm, c web.Client) error {
	if in.NewPassword == "" {
		return problem.Invalid("new_password", "Field \"new_password\" is required.")
	}
	if err := password.Check("new_password", in.NewPassword, rec.Email); err != nil {
		return err
	}
	if !rec.TOTPEnabled {
		return nil
	}
	f := in.SecondFactor.resolved()
	if f.Code == "" && f.RecoveryCode == "" {
		return errResetNeedsCode
	}
	if err := f.validate(); err != nil {
		return err
	}
	if err := l.limits.Allow(ctx, limitResetCode, rec.ID); err != nil {
		return err
	}
	if err := l.checkSecondFactor(ctx, rec.ID, f, c); errors.Is(err, errBadCode) {
		return invalidCode(http.StatusUnauthorized)
	} else if err != nil {
		return err
	}
	return nil
}

// spendReset spends the token and stores the hash, bumps the sign-in generation (every pending
// sign-in is void) and writes the security-log event, in one transaction.
func (l *Links) spendReset(ctx context.Context, token, hash string, c web.Client) error {
	_, err := l.tokens.Redeem(ctx, onetime.PasswordReset, token, nil,
		func(*redis.Tx, *onetime.Claim) error { return nil },
		func(p redis.Pipeliner, cl *onetime.Claim) {
			p.HSet(ctx, l.userKey(cl.UserID), fPass, hash)
			l.sessions.RevokePending(ctx, p, cl.UserID)
			l.log.Add(ctx, p, cl.UserID, audit.PasswordReset, c, "with an e-mailed link; every session is signed out")
		})
	return err
}
