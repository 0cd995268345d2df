package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/problem"
	"github.com/trymetriqs/metriqs/lib/store"
	"github.com/trymetriqs/metriqs/lib/web"
)

// RunFunc does a job's work with the verified body of its message. Return Permanent(err)
// for a failure no retry can fix; any other error makes QStash retry the message.
type RunFunc func(ctx context.Context, body []byte) error

// Runner holds what the delivery pipeline needs. Tests build one with a test store and known
// keys; functions use Handler, which builds the default one from the environment.
type Runner struct {
	Verifier *Verifier
	Store    *store.Store
	// RunningTTL and DoneTTL override DefaultRunningTTL and DefaultDoneTTL when non-zero.
	RunningTTL time.Duration
	DoneTTL    time.Duration
	// BookkeepingTimeout overrides DefaultBookkeepingTimeout when non-zero.
	BookkeepingTimeout time.Duration
}

var runner = lazy.New(func() (*Runner, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, problem.Internal(err)
	}
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	return &Runner{
		Verifier: &Verifier{AppURL: cfg.AppURL, CurrentSigningKey: cfg.QStash.CurrentSigningKey, NextSigningKey: cfg.QStash.NextSigningKey},
		Store:    st,
	}, nil
})

// DefaultRunner is the function instance's Runner, built on first use from config.FromEnv
// and store.Default.
func DefaultRunner() (*Runner, error) { return runner.Get() }

// Handler is the POST handler of api/jobs/<job>.go, using DefaultRunner:
//
//	web.Serve(w, r, web.Methods{http.MethodPost: jobs.Handler("generate-report", report.Generate)})
func Handler(job string, run RunFunc) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rn, err := DefaultRunner()
		if err != nil {
			return err
		}
		return rn.Handler(job, run)(w, r)
	}
}

type answer struct {
	OK        bool `json:"ok"`
	Duplicate bool `json:"duplicate,omitempty"`
}

// messageID accepts what QStash sends (msg_ + base58) with room to spare, but nothing that
// could stretch or break a Redis key.
var messageID = regexp.MustCompile(`^[\x21-\x7e]{1,200}$`)

// Handler is the delivery pipeline for job: verify → bind the token to the message id → claim
// the message id → run → answer.
//   - no valid signature for AppURL+/api/jobs/<job>: 401, run is not called;
//   - a token already seen with another message id (a replayed delivery): 401, not run;
//   - message id already done: 200 {"ok":true,"duplicate":true}, run is not called;
//   - same message running in another delivery: 409 with Retry-After, so QStash retries later;
//   - run succeeds: the id is recorded done, 200 {"ok":true};
//   - run returns Permanent(err): recorded done, 489 + Upstash-NonRetryable-Error (to DLQ);
//   - any other error or a panic: the claim is dropped, 500 with the cause logged, and
//     QStash's retry runs the job again.
func (rn *Runner) Handler(job string, run RunFunc) web.HandlerFunc {
	if err := checkName(job); err != nil {
		return func(http.ResponseWriter, *http.Request) error { return problem.Internal(err) }
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		signed, err := rn.Verifier.Verify(r, Path(job))
		if err != nil {
			return err
		}
		msgID := r.Header.Get(HeaderMessageID)
		if !messageID.MatchString(msgID) {
			return problem.Invalid(HeaderMessageID, "A QStash delivery must carry an Upstash-Message-Id header.")
		}
		ctx := WithDelivery(r.Context(), Delivery{MessageID: msgID})
		return rn.runOnce(ctx, w, job, msgID, signed, run)
	}
}

// Delivery describes the QStash delivery a job is running for. It carries nothing from
// Upstash-Retried: that header is not signed, so a job must not decide anything on it (a
// forged "last retry" would make a job give up early); count attempts in Redis instead.
type Delivery struct {
	MessageID string
}

type deliveryKey struct{}

// WithDelivery returns ctx carrying d, as the job handler passes it to a job.
func WithDelivery(ctx context.Context, d Delivery) context.Context {
	return context.WithValue(ctx, deliveryKey{}, d)
}

// DeliveryFrom returns the delivery that ctx's job runs for; the zero Delivery outside a job.
func DeliveryFrom(ctx context.Context) Delivery {
	d, _ := ctx.Value(deliveryKey{}).(Delivery)
	return d
}

// held is the claim a delivery holds on its message while its job runs.
type held struct {
	l                      ledger
	key, token, job, msgID string
}

func (rn *Runner) runOnce(ctx context.Context, w http.ResponseWriter, job, msgID string, signed *Signed, run RunFunc) error {
	l := rn.ledger()
	h := held{l: l, key: l.key(job, msgID), job: job, msgID: msgID}
	token, state, wait, err := l.claim(ctx, h.key, l.tokenKey(signed.TokenID), msgID)
	if err != nil {
		return err
	}
	if state != claimed {
		return refuse(w, state, wait, signed.TokenID, msgID)
	}
	h.token = token
	runErr := rn.guard(ctx, h, signed.Body, run)
	// The bookkeeping timeout starts when the run returns, however long it took, and is
	// detached from the request: QStash hanging up must not leave the claim in place.
	after, cancel := rn.bookkeeping(ctx)
	defer cancel()
	return h.settle(after, w, runErr)
}

// refuse answers a delivery that may not run: a replayed token, a message already done, or
// one another delivery is running.
func refuse(w http.ResponseWriter, state claimState, wait time.Duration, tokenID, msgID string) error {
	switch state {
	case replayed:
		return unauthenticated(fmt.Errorf("token %s was already delivered with another message id than %s", tokenID, msgID))
	case alreadyDone:
		return web.JSON(w, http.StatusOK, answer{OK: true, Duplicate: true})
	default:
		p := problem.Conflict("job_running", "This message is being processed by another delivery.")
		p.RetryAfter = max(wait, time.Second)
		return p
	}
}

// bookkeeping is the context that records a run's outcome: the request's values, not its
// cancellation, bounded by the bookkeeping timeout from now.
func (rn *Runner) bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), rn.bookkeepingTimeout())
}

// guard runs the job; a panic releases the claim, so QStash's retry runs again at once.
func (rn *Runner) guard(ctx context.Context, h held, body []byte, run RunFunc) error {
	defer func() {
		if v := recover(); v != nil {
			after, cancel := rn.bookkeeping(ctx)
			defer cancel()
			_ = h.l.release(after, h.key, h.token)
			panic(v) // web.Serve logs it and answers a JSON 500
		}
	}()
	return run(ctx, body)
}

// settle records the run's outcome in the ledger and answers QStash in its terms.
func (h held) settle(ctx context.Context, w http.ResponseWriter, runErr error) error {
	switch {
	case runErr == nil:
		// The work is done even if it cannot be recorded; a 500 would only run it again.
		h.complete(ctx, "job ran but could not be recorded as done")
		return web.JSON(w, http.StatusOK, answer{OK: true})
	case IsPermanent(runErr):
		h.complete(ctx, "job failed permanently and could not be recorded")
		slog.Warn("job failed permanently; QStash will not retry it", "job", h.job, "message_id", h.msgID, "cause", runErr.Error())
		w.Header().Set(HeaderNonRetryable, "true")
		return &problem.Error{Status: StatusNonRetryable, Code: "permanent_failure", Message: "This job cannot succeed and will not be retried.", Cause: runErr}
	default:
		if err := h.l.release(ctx, h.key, h.token); err != nil {
			runErr = errors.Join(runErr, err)
		}
		return problem.Internal(fmt.Errorf("job %s, message %s: %w", h.job, h.msgID, runErr))
	}
}

// complete records the message done, logging (once, here) when Redis would not.
func (h held) complete(ctx context.Context, failure string) {
	if err := h.l.complete(ctx, h.key); err != nil {
		slog.Error(failure, "job", h.job, "message_id", h.msgID, "err", err)
	}
}

func (rn *Runner) ledger() ledger {
	l := ledger{st: rn.Store, runningTTL: rn.RunningTTL, doneTTL: rn.DoneTTL}
	if l.runningTTL <= 0 {
		l.runningTTL = DefaultRunningTTL
	}
	if l.doneTTL <= 0 {
		l.doneTTL = DefaultDoneTTL
	}
	return l
}

func (rn *Runner) bookkeepingTimeout() time.Duration {
	if rn.BookkeepingTimeout > 0 {
		return rn.BookkeepingTimeout
	}
	return DefaultBookkeepingTimeout
}
