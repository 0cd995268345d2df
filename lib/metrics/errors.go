package metrics

import (
	"errors"
	"fmt"
	"time"
)

// The three kinds of failure the report generator acts on. Test with errors.Is.
var (
	// ErrReauth: the token was revoked, expired beyond refresh, or lacks a scope. Retrying is
	// pointless; the customer must reconnect the provider.
	ErrReauth = errors.New("metrics: provider access must be reconnected")
	// ErrTransient: rate limits, 5xx, timeouts, dropped connections. Worth retrying later.
	ErrTransient = errors.New("metrics: provider temporarily unavailable")
	// ErrPermanent: anything else (a deleted property, a malformed selection, a response we
	// cannot read). Retrying gives the same answer.
	ErrPermanent = errors.New("metrics: provider request failed")
)

// Error is a classified provider failure. Message is shown to the customer; Cause is only
// logged.
type Error struct {
	Provider string
	// Kind is ErrReauth, ErrTransient or ErrPermanent.
	Kind    error
	Message string
	// Status is the provider's HTTP status, 0 when there was no response.
	Status int
	// RetryAfter is how long the provider asked us to wait, when it said.
	RetryAfter time.Duration
	Cause      error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %s", e.Provider, e.Message)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrTransient) (and the others) true for an Error of that kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// Unwrap exposes the cause, so errors.Is(err, context.DeadlineExceeded) still works.
func (e *Error) Unwrap() error { return e.Cause }

func newError(provider string, kind error, status int, msg string, cause error) *Error {
	return &Error{Provider: provider, Kind: kind, Status: status, Message: msg, Cause: cause}
}

// permanent is a failure on our side of the request (bad selection, unreadable answer).
func permanent(provider, msg string, cause error) *Error {
	return newError(provider, ErrPermanent, 0, msg, cause)
}

// Message returns the sentence to show a customer for err from provider's fetcher. Errors
// this package did not classify get a neutral sentence rather than their internals.
func Message(provider string, err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("%s could not be read. We will try again with the next report.", displayName(provider))
}

// Failed builds the section shown when provider's fetch failed with err.
func Failed(provider string, err error) *Section {
	s := ok(provider)
	s.Status, s.Error = StatusFailed, Message(provider, err)
	return s
}

func displayName(provider string) string {
	switch provider {
	case ProviderGA4:
		return "Google Analytics"
	case ProviderSearchConsole:
		return "Search Console"
	case ProviderStripe:
		return "Stripe"
	case ProviderGitHub:
		return "GitHub"
	case ProviderDemo:
		return "Demo"
	}
	return provider
}
