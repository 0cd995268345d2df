package account

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/trymetriqs/metriqs/lib/audit"
	"github.com/trymetriqs/metriqs/lib/device"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/onetime"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/session"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// Mail kinds of an e-mail change (lib/mail/accountmail).
const (
	KindEmailChangeConfirm = "email_change_confirm"
	KindEmailChangeNotice  = "email_change_notice"
)

// EmailChangeInput is the body of POST /api/account/email.
type EmailChangeInput struct {
	NewEmail string `json:"new_email"`
	Password string `json:"password"`
	SecondFactor
}

// errSameEmail refuses a change to the address the account already has.
var errSameEmail = problem.Invalid("new_email", "This is already your e-mail address.")

// RequestEmailChange checks that the holder asks (password, and the second factor when 2FA is
// on: ASVS 5.0 7.5.1, full re-authentication before changing an attribute that recovers the account), then mails a confirmation link to the new address and
// a notice to the old one. Nothing changes until the link is used. A taken address is 409
// email_taken, as at signup: it tells no more than signup already does, to someone who had to
// know this account's password first.
func (l *Links) RequestEmailChange(ctx context.Context, sess *session.Session, in EmailChangeInput, c web.Client) error {
	email, rec, err := l.changeChecks(ctx, sess, in)
	if err != nil {
		return err
	}
	var f *SecondFactor
	if rec.TOTPEnabled {
		g := in.SecondFactor.resolved()
		f = &g
		if err := g.validate(); err != nil {
			return err
		}
	}
	if err := l.reauthenticate(ctx, rec.ID, in.Password, f, c); err != nil {
		return err
	}
	if _, err := l.findEmail(ctx, email); err == nil {
		return ErrEmailTaken
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return l.sendEmailChange(ctx, rec, email, c)
}

// changeChecks validates the request before any password is compared.
func (l *Links) changeChecks(ctx context.Context, sess *session.Session, in EmailChangeInput) (string, *record, error) {
	email, err := NormalizeEmail(in.NewEmail)
	if err != nil {
		return "", nil, err
	}
	if in.Password == "" {
		return "", nil, problem.Invalid("password", "Field \"password\" is required.")
	}
	rec, err := l.load(ctx, sess.UserID)
	if err != nil {
		return "", nil, err
	}
	if email == rec.Email {
		return "", nil, errSameEmail
	}
	return email, rec, l.limits.Allow(ctx, limitEmailChange, sess.UserID)
}

// sendEmailChange issues the change token and queues both e-mails, logging the request.
func (l *Links) sendEmailChange(ctx context.Context, rec *record, email string, c web.Client) error {
	token, hash, err := l.tokens.Issue(ctx, onetime.ChangeEmail, onetime.Claim{UserID: rec.ID,
		Data: map[string]string{"old_email": rec.Email, "new_email": email}}, emailChangeTTL)
	if err != nil {
		return err
	}
	if err := l.log.Record(ctx, rec.ID, audit.EmailChangeRequested, c, "to "+email); err != nil {
		return err
	}
	err = l.enqueue(ctx, mail.Message{Key: mailKey(KindEmailChangeConfirm, hash), UserID: rec.ID, To: email,
		From: mail.FromAccount, Kind: KindEmailChangeConfirm,
		Data: map[string]string{"url": l.link("/confirm-email", token), "new_email": email}})
	if err != nil {
		return err
	}
	return l.enqueue(ctx, mail.Message{Key: mailKey(KindEmailChangeNotice, hash), UserID: rec.ID, To: rec.Email,
		From: mail.FromAccount, Kind: KindEmailChangeNotice,
		Data: map[string]string{"new_email": email, "time": l.now().UTC().Format(time.RFC3339), "ip": c.IP,
			"device": device.Describe(c.UserAgent), "url": l.appURL + "/app/settings#security"}})
}

// ConfirmEmailChange applies a change with its token: the new address's lookup key is claimed
// in the same transaction that spends the token, rewrites the user record and frees the old
// address, under a WATCH of the new key and the user record (onetime.Redeem). Of two accounts
// confirming one address at once, the second's WATCH breaks, its retry sees the key taken and
// it gets 409 email_taken with nothing changed: an address never names two accounts. The
// sessions stay (the holder is proving more, not less); the address counts as verified.
func (l *Links) ConfirmEmailChange(ctx context.Context, in VerifyInput, c web.Client) error {
	if err := l.limits.Allow(ctx, limitTokenIP, c.IP); err != nil {
		return err
	}
	claim, err := l.tokens.Peek(ctx, onetime.ChangeEmail, in.Token)
	if err != nil {
		return err
	}
	email := claim.Data["new_email"]
	if _, err := l.findEmail(ctx, email); err == nil {
		return ErrEmailTaken
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	newKey, uk := l.emailKey(email), l.userKey(claim.UserID)
	_, err = l.tokens.Redeem(ctx, onetime.ChangeEmail, in.Token, []string{newKey, uk},
		func(tx *redis.Tx, cl *onetime.Claim) error { return l.canMove(ctx, tx, cl, newKey) },
		func(p redis.Pipeliner, cl *onetime.Claim) { l.moveAddress(ctx, p, cl, newKey, c) })
	if err != nil {
		return err
	}
	l.clearBounce(ctx, claim.UserID)
	return nil
}

// canMove checks, inside the WATCH, that the new address is still free and the account still
// has the address the change was asked from.
func (l *Links) canMove(ctx context.Context, tx *redis.Tx, cl *onetime.Claim, newKey string) error {
	n, err := tx.Exists(ctx, newKey).Result()
	if err != nil {
		return err
	}
	if n != 0 {
		return ErrEmailTaken
	}
	return l.sameAddress(ctx, tx, &onetime.Claim{UserID: cl.UserID, Data: map[string]string{"email": cl.Data["old_email"]}})
}

// moveAddress queues the change itself: claim the new lookup key (in the index), drop every
// name of the old one (out of the index), update the record, log it.
func (l *Links) moveAddress(ctx context.Context, p redis.Pipeliner, cl *onetime.Claim, newKey string, c web.Client) {
	uid, uk := cl.UserID, l.userKey(cl.UserID)
	p.Set(ctx, newKey, uid, 0)
	l.st.Own(ctx, p, uid, newKey)
	for _, old := range l.emailKeys(cl.Data["old_email"]) {
		p.Del(ctx, old)
		p.SRem(ctx, l.st.IndexKey(uid), old)
	}
	p.HSet(ctx, uk, fEmail, cl.Data["new_email"], fVerified, "1")
	l.log.Add(ctx, p, uid, audit.EmailChanged, c, "from "+cl.Data["old_email"]+" to "+cl.Data["new_email"])
}
