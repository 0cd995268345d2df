// Package problem is Metriqs' error vocabulary: an error that carries the HTTP status, the
// stable snake_case code and the customer-facing message of API.md's error envelope, plus a
// hidden cause for the logs. Lib packages return these; lib/web renders them in one place.
package problem

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Error is an error a customer may see. Cause is never rendered, only logged.
type Error struct {
	Status  int
	Code    string
	Message string
	// Field names the request field at fault, when there is one.
	Field string
	// RetryAfter is sent as Retry-After (whole seconds, rounded up) when non-zero.
	RetryAfter time.Duration
	// Allow lists the methods an endpoint accepts, for 405 answers.
	Allow []string
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// New builds an Error with the given status, code and message.
func New(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// As returns the *Error inside err, if any.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}

// CodeOf returns the code of the *Error inside err, or "" when there is none.
func CodeOf(err error) string {
	if p, ok := As(err); ok {
		return p.Code
	}
	return ""
}

// Invalid is a 400 invalid_request about one field.
func Invalid(field, message string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: message, Field: field}
}

// Unprocessable is a 422 for a well-formed but unacceptable value.
func Unprocessable(code, field, message string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: code, Message: message, Field: field}
}

// Unauthenticated is a 401 unauthenticated.
func Unauthenticated(message string) *Error {
	return New(http.StatusUnauthorized, "unauthenticated", message)
}

// Forbidden is a 403 forbidden.
func Forbidden(message string) *Error { return New(http.StatusForbidden, "forbidden", message) }

// NotFound is a 404 not_found.
func NotFound(message string) *Error { return New(http.StatusNotFound, "not_found", message) }

// Conflict is a 409 with the given code (conflict, email_taken, ...).
func Conflict(code, message string) *Error { return New(http.StatusConflict, code, message) }

// RateLimited is a 429 rate_limited that asks the client to wait retryAfter.
func RateLimited(retryAfter time.Duration) *Error {
	e := New(http.StatusTooManyRequests, "rate_limited", "Too many attempts. Please wait and try again.")
	e.RetryAfter = retryAfter
	return e
}

// Unavailable is a 503 unavailable: a dependency (Redis, a provider) did not answer.
func Unavailable(cause error) *Error {
	e := New(http.StatusServiceUnavailable, "unavailable", "The service is temporarily unavailable. Please try again shortly.")
	e.Cause = cause
	return e
}

// Internal is a 500 whose cause is logged and never shown.
func Internal(cause error) *Error {
	e := New(http.StatusInternalServerError, "internal", "Something went wrong on our side. Please try again.")
	e.Cause = cause
	return e
}

// MethodNotAllowed is a 405 that lists the allowed methods.
func MethodNotAllowed(allow ...string) *Error {
	e := New(http.StatusMethodNotAllowed, "method_not_allowed", "This endpoint does not accept that method.")
	e.Allow = allow
	return e
}
