package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/upstash/qstash-go"

	"github.com/trymetriqs/metriqs/lib/config"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/outbound"
	"github.com/trymetriqs/metriqs/lib/problem"
)

// DefaultTimeout bounds one call to QStash.
const DefaultTimeout = 10 * time.Second

// batchSize keeps each batch request small; a longer batch is sent in several requests.
const batchSize = 100

// Publisher sends jobs to the api/jobs functions through QStash, with the official client.
type Publisher struct {
	appURL  string
	baseURL string // "" is the real service
	token   string
	hc      *http.Client
}

// NewPublisher builds a Publisher for the functions under appURL. q.URL may be empty (the
// real service). hc nil means an outbound client with DefaultTimeout. Nothing touches the
// network here.
func NewPublisher(appURL string, q config.QStash, hc *http.Client) (*Publisher, error) {
	appURL, err := checkAppURL(appURL)
	if err != nil {
		return nil, err
	}
	if q.Token == "" {
		// qstash-go panics on an empty token; say what is missing instead.
		return nil, errors.New("jobs: QSTASH_TOKEN is empty")
	}
	// qstash-go lets the QSTASH_URL variable override Options.Url behind our back; make sure
	// both name the same service rather than publish somewhere configuration did not say.
	base := strings.TrimRight(q.URL, "/")
	if env := strings.TrimRight(os.Getenv("QSTASH_URL"), "/"); env != "" && env != base {
		return nil, fmt.Errorf("jobs: QSTASH_URL in the environment (%q) differs from the configured QStash URL (%q); qstash-go would use the environment", env, base)
	}
	if hc == nil {
		hc = outbound.NewClient(DefaultTimeout)
	}
	return &Publisher{appURL: appURL, baseURL: base, token: q.Token, hc: hc}, nil
}

// checkAppURL returns appURL without a trailing slash if it can prefix every job's URL.
func checkAppURL(appURL string) (string, error) {
	appURL = strings.TrimRight(appURL, "/")
	u, err := url.Parse(appURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" {
		return "", fmt.Errorf("jobs: APP_URL %q must be an absolute URL with no path", appURL)
	}
	return appURL, nil
}

var publisher = lazy.New(func() (*Publisher, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, problem.Internal(err)
	}
	p, err := NewPublisher(cfg.AppURL, cfg.QStash, outbound.NewClient(DefaultTimeout))
	if err != nil {
		return nil, problem.Internal(err)
	}
	return p, nil
})

// Default is the function instance's Publisher, built on first use from config.FromEnv.
func Default() (*Publisher, error) { return publisher.Get() }

// URL is the absolute destination of job: AppURL + /api/jobs/ + job.
func (p *Publisher) URL(job string) string { return p.appURL + Path(job) }

// Option tunes one published message.
type Option func(*options)

type options struct {
	dedupID string
	delay   time.Duration
	retries *int
}

// DeduplicationID makes QStash accept a message with an id it has recently seen without
// delivering it again (it answers with the first message's id).
func DeduplicationID(id string) Option { return func(o *options) { o.dedupID = id } }

// Delay postpones delivery by d (rounded up to whole seconds, QStash's unit).
func Delay(d time.Duration) Option { return func(o *options) { o.delay = d } }

// Retries sets how many times QStash retries a failed delivery (capped by the plan).
func Retries(n int) Option { return func(o *options) { o.retries = &n } }

func (o options) delayHeader() string {
	if o.delay <= 0 {
		return ""
	}
	return fmt.Sprintf("%ds", int64(math.Ceil(o.delay.Seconds())))
}

// Message is one entry of PublishBatch.
type Message struct {
	Job     string
	Body    any
	Options []Option
}

// Publish sends body, as JSON, to the job's function and returns QStash's message id.
// A nil body is sent as {}.
func (p *Publisher) Publish(ctx context.Context, job string, body any, opts ...Option) (string, error) {
	payload, o, err := prepare(job, body, opts)
	if err != nil {
		return "", err
	}
	res, err := p.client(ctx).Publish(qstash.PublishOptions{
		Url:             p.URL(job),
		Body:            payload,
		ContentType:     "application/json",
		Retries:         o.retries,
		Delay:           o.delayHeader(),
		DeduplicationId: o.dedupID,
	})
	if err != nil {
		return "", unavailable(fmt.Errorf("jobs: publish %s: %w", job, err))
	}
	if res.MessageId == "" {
		return "", unavailable(fmt.Errorf("jobs: publish %s: QStash answered without a message id", job))
	}
	return res.MessageId, nil
}

// PublishBatch publishes msgs with QStash's batch endpoint and returns their message ids in
// order. When a request fails, the ids of the messages already accepted are returned with
// the error.
func (p *Publisher) PublishBatch(ctx context.Context, msgs []Message) ([]string, error) {
	batch := make([]qstash.BatchOptions, 0, len(msgs))
	for _, m := range msgs {
		payload, o, err := prepare(m.Job, m.Body, m.Options)
		if err != nil {
			return nil, err
		}
		batch = append(batch, qstash.BatchOptions{
			Url:             p.URL(m.Job),
			Body:            payload,
			ContentType:     "application/json",
			Retries:         o.retries,
			Delay:           o.delayHeader(),
			DeduplicationId: o.dedupID,
		})
	}
	ids := make([]string, 0, len(msgs))
	for start := 0; start < len(batch); start += batchSize {
		chunk := batch[start:min(start+batchSize, len(batch))]
		res, err := p.client(ctx).Batch(chunk)
		if err != nil {
			return ids, unavailable(fmt.Errorf("jobs: publish batch: %w", err))
		}
		if len(res) != len(chunk) {
			return ids, unavailable(fmt.Errorf("jobs: publish batch: %d answers for %d messages", len(res), len(chunk)))
		}
		for i, r := range res {
			// A message QStash refused comes back as an error object, which qstash-go parses
			// into an answer without a message id.
			if len(r) == 0 || r[0].MessageId == "" {
				return ids, unavailable(fmt.Errorf("jobs: publish batch: message %d (%s) was refused", start+i, chunk[i].Url))
			}
			ids = append(ids, r[0].MessageId)
		}
	}
	return ids, nil
}

// EnsureSchedule makes sure a QStash schedule fires job on cronSpec (standard 5 fields, UTC,
// or with a CRON_TZ= prefix). It lists the schedules first and creates one only when none has
// the same destination and cron, since qstash-go cannot choose a schedule id to upsert by.
// Two instances racing can still both create one; call it from a deploy step, not per request.
// QStash validates the cron itself (a test parses every entry of Schedules): parsing it here
// would link a cron parser into every function that publishes a job.
func (p *Publisher) EnsureSchedule(ctx context.Context, job, cronSpec string) (scheduleID string, created bool, err error) {
	if err := checkName(job); err != nil {
		return "", false, err
	}
	c, dest := p.client(ctx), p.URL(job)
	list, err := c.Schedules().List()
	if err != nil {
		return "", false, unavailable(fmt.Errorf("jobs: list schedules: %w", err))
	}
	for _, s := range list {
		if s.Destination == dest && s.Cron == cronSpec {
			return s.Id, false, nil
		}
	}
	id, err := c.Schedules().Create(qstash.ScheduleOptions{
		Destination: dest,
		Cron:        cronSpec,
		ContentType: "application/json",
		Body:        "{}",
	})
	if err != nil {
		return "", false, unavailable(fmt.Errorf("jobs: create schedule %s %q: %w", job, cronSpec, err))
	}
	if id == "" {
		return "", false, unavailable(fmt.Errorf("jobs: create schedule %s: QStash answered without a schedule id", job))
	}
	return id, true, nil
}

func prepare(job string, body any, opts []Option) (string, options, error) {
	var o options
	if err := checkName(job); err != nil {
		return "", o, err
	}
	for _, opt := range opts {
		opt(&o)
	}
	if body == nil {
		return "{}", o, nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return "", o, fmt.Errorf("jobs: encode %s body: %w", job, err)
	}
	return string(b), o, nil
}

// client returns a qstash-go client whose requests carry ctx. qstash-go's methods take no
// context, so the context is put in through the transport of a per-call copy of our client.
func (p *Publisher) client(ctx context.Context) *qstash.Client {
	hc := *p.hc
	base := hc.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	hc.Transport = ctxTransport{ctx: ctx, base: base}
	return qstash.NewClientWith(qstash.Options{Url: p.baseURL, Token: p.token, Client: &hc})
}

type ctxTransport struct {
	ctx  context.Context
	base http.RoundTripper
}

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return t.base.RoundTrip(r.WithContext(t.ctx))
}

// unavailable makes a failure to reach QStash a 503 for the API request that published.
func unavailable(err error) error { return problem.Unavailable(err) }
