package account

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/onetime"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// KindVerifyEmail is the mail kind of an address-verification link (lib/mail/accountmail).
const KindVerifyEmail = "verify_email"

// Signup creates the account, signs it in and e-mails the link that verifies its address. The
// account exists once Service.Signup returns; a failure to queue the link is logged, not
// returned, and the user can ask again (POST /api/account/verify-email).
func (l *Links) Signup(ctx context.Context, w http.ResponseWriter, in SignupInput, c web.Client) (*User, error) {
	u, err := l.Service.Signup(ctx, w, in, c)
	if err != nil {
		return nil, err
	}
	if err := l.sendVerification(ctx, u.ID, u.Email); err != nil {
		slog.Error("account: verification e-mail not queued at signup", "user", u.ID, "err", err)
	}
	return u, nil
}

// ResendVerification e-mails a new verification link to the signed-in user's address (the
// older link stops working), a few times an hour.
func (l *Links) ResendVerification(ctx context.Context, sess *session.Session) error {
	rec, err := l.load(ctx, sess.UserID)
	if err != nil {
		return err
	}
	if rec.EmailVerified {
		return nil
	}
	if err := l.limits.Allow(ctx, limitVerifyUser, sess.UserID); err != nil {
		return err
	}
	return l.sendVerification(ctx, rec.ID, rec.Email)
}

// sendVerification issues a verification token bound to the address it is sent to: a link
// mailed before a change of address never verifies the new one.
func (l *Links) sendVerification(ctx context.Context, uid, email string) error {
	token, hash, err := l.tokens.Issue(ctx, onetime.VerifyEmail, onetime.Claim{UserID: uid, Data: map[string]string{"email": email}}, verifyTTL)
	if err != nil {
		return err
	}
	err = l.enqueue(ctx, mail.Message{Key: mailKey(KindVerifyEmail, hash), UserID: uid, To: email, From: mail.FromAccount,
		Kind: KindVerifyEmail, Data: map[string]string{"url": l.link("/verify-email", token)}})
	if err != nil {
		return fmt.Errorf("account: queue verification for %s: %w", uid, err)
	}
	return nil
}

// VerifyInput is the body of POST /api/auth/verify-email and /api/account/email/confirm.
type VerifyInput struct {
	Token string `json:"token"`
}

// VerifyEmail marks the address proven with a verification token: once, for the address the
// link was sent to, only while it is still the account's (the user record is watched).
func (l *Links) VerifyEmail(ctx context.Context, in VerifyInput, c web.Client) error {
	if err := l.limits.Allow(ctx, limitTokenIP, c.IP); err != nil {
		return err
	}
	claim, err := l.tokens.Peek(ctx, onetime.VerifyEmail, in.Token)
	if err != nil {
		return err
	}
	uk := l.userKey(claim.UserID)
	_, err = l.tokens.Redeem(ctx, onetime.VerifyEmail, in.Token, []string{uk},
		func(tx *redis.Tx, cl *onetime.Claim) error { return l.sameAddress(ctx, tx, cl) },
		func(p redis.Pipeliner, cl *onetime.Claim) {
			p.HSet(ctx, uk, fVerified, "1")
			l.log.Add(ctx, p, cl.UserID, audit.EmailVerified, c, cl.Data["email"])
		})
	if err != nil {
		return err
	}
	l.clearBounce(ctx, claim.UserID)
	return nil
}

// sameAddress refuses a token whose address is no longer the live account's.
func (l *Links) sameAddress(ctx context.Context, tx *redis.Tx, cl *onetime.Claim) error {
	f, err := tx.HMGet(ctx, l.userKey(cl.UserID), fEmail, fDeleted).Result()
	if err != nil {
		return err
	}
	email, _ := f[0].(string)
	if email == "" || email != cl.Data["email"] || f[1] != nil {
		return onetime.ErrInvalid
	}
	return nil
}

// Me is the signed-in user as GET /api/me shows it: with the bounced address, when mail to
// the account's current address bounced (lib/mail records it).
func (l *Links) Me(ctx context.Context, uid string) (*User, error) {
	u, err := l.Get(ctx, uid)
	if err != nil {
		return nil, err
	}
	b, bounced, err := l.bounce(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("account: read bounce of %s: %w", uid, err)
	}
	if bounced && b.Address == u.Email {
		u.EmailBounced = b.Address
	}
	if u.TOTPEnabled {
		left, err := l.st.R.SCard(ctx, l.recoveryKey(uid)).Result()
		if err != nil {
			return nil, store.Err(fmt.Errorf("account: count recovery codes of %s: %w", uid, err))
		}
		u.RecoveryCodesLeft = &left
	}
	return u, nil
}
