// Package lazy builds a function instance's dependencies on first use, once. A serverless
// function should do no network and no fallible work at start-up: an instance that never
// needs Redis never connects, and a missing secret surfaces as a request's 500 with a log
// line rather than a crash at boot.
package lazy

import "sync"

// Value is a T built by its build function on the first Get.
type Value[T any] struct {
	once  sync.Once
	build func() (T, error)
	v     T
	err   error
}

// New returns a Value that build will make on first use.
func New[T any](build func() (T, error)) *Value[T] { return &Value[T]{build: build} }

// Get builds the value the first time and returns the same value, or error, every time.
func (l *Value[T]) Get() (T, error) {
	l.once.Do(func() { l.v, l.err = l.build() })
	return l.v, l.err
}
