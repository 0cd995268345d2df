package submit

import (
	"context"
	"errors"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/mail"
	"github.com/trymetriqs/metriqs/lib/problem"
)

var outbox = lazy.New(func() (mail.Outbox, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return mail.Outbox{}, problem.Internal(err)
	}
	return FromConfig(cfg)
})

// FromConfig is the outbox of a function instance: the configured SMTP server, secure
// everywhere but in development, and the two senders.
func FromConfig(cfg *config.Config) (mail.Outbox, error) {
	if cfg.Mail.SMTPURL == "" {
		return mail.Outbox{}, problem.Internal(errors.New("submit: SMTP_URL is not set (the local server sets it to its mail catcher)"))
	}
	t, err := New(Settings{URL: cfg.Mail.SMTPURL, Secure: !cfg.Dev})
	if err != nil {
		return mail.Outbox{}, problem.Internal(err)
	}
	return mail.Outbox{Transport: t, From: map[mail.Sender]string{mail.FromAccount: cfg.Mail.FromAccount, mail.FromReports: cfg.Mail.FromReports}}, nil
}

// Job is the send-email job (api/jobs/send-email.go): mail.Service.Deliver with the
// instance's store and outbox.
func Job(ctx context.Context, body []byte) error {
	s, err := mail.Default()
	if err != nil {
		return err
	}
	out, err := outbox.Get()
	if err != nil {
		return err
	}
	return s.Deliver(ctx, body, out)
}
