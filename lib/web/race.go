//go:build race

package web

// Under the race detector code runs several times slower (bcrypt alone takes seconds), so a
// deadline sized for production would fail requests that are merely instrumented. Race builds
// are for tests only; no function is deployed with -race.
const deadlineScale = 10
