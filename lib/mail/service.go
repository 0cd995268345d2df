package mail

import (
	"context"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
	"github.com/trymetriqs/metriqs/lib/lazy"
	"github.com/trymetriqs/metriqs/lib/store"
)

// JobSend is the job that sends one message (api/jobs/send-email.go).
const JobSend = "send-email"

// Retries is how many times QStash retries a send-email message that failed for a reason
// that may pass (SMTP server down, slow, 4xx), with its exponential backoff; then the message
// goes to the DLQ. Within the free plan's cap, like generate-report's.
const Retries = 3

// Publisher sends job messages (lib/jobs in production).
type Publisher interface {
	Publish(ctx context.Context, job string, body any, opts ...jobs.Option) (string, error)
}

// Service stores, queues and delivers the mail of Metriqs' users.
type Service struct {
	st  *store.Store
	pub Publisher
	now func() time.Time
}

// New returns a Service. pub may be nil where nothing is enqueued (the send job).
func New(st *store.Store, pub Publisher, now func() time.Time) *Service {
	return &Service{st: st, pub: pub, now: now}
}

var instance = lazy.New(func() (*Service, error) {
	st, err := store.Default()
	if err != nil {
		return nil, err
	}
	// The lean publisher: Enqueue is called from sign-in and account functions, which have
	// no room for net/http's client (lib/jobs/lean.go).
	pub, err := jobs.DefaultLean()
	if err != nil {
		return nil, err
	}
	return New(st, pub, time.Now), nil
})

// Default is the function instance's Service, built on first use from the configuration.
func Default() (*Service, error) { return instance.Get() }

// Enqueue stores m and publishes its send-email job with Default (see Service.Enqueue).
func Enqueue(ctx context.Context, m Message) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.Enqueue(ctx, m)
}

// Bounce is Service.Bounce with Default.
func Bounce(ctx context.Context, userID string) (BounceInfo, bool, error) {
	s, err := Default()
	if err != nil {
		return BounceInfo{}, false, err
	}
	return s.Bounce(ctx, userID)
}

// ClearBounce is Service.ClearBounce with Default.
func ClearBounce(ctx context.Context, userID string) error {
	s, err := Default()
	if err != nil {
		return err
	}
	return s.ClearBounce(ctx, userID)
}

// Sent is Service.Sent with Default.
func Sent(ctx context.Context, userID string) ([]Record, error) {
	s, err := Default()
	if err != nil {
		return nil, err
	}
	return s.Sent(ctx, userID)
}

// mailKey is the user's mail history: a hash of stored records by message Key. A collection
// key (lib/store/index.go): in the user's index from its first message, removed by the purge.
func (s *Service) mailKey(userID string) string { return s.st.Key("user", userID, "mail") }

// bounceKey holds the user's BounceInfo while their address is known to bounce. Like a
// collection key it stays in the index once there (ClearBounce deletes only the value).
func (s *Service) bounceKey(userID string) string { return s.st.Key("user", userID, "mail-bounce") }
