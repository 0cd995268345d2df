//go:build race

package devtest

// Race reports whether the test binary was built with the race detector, under which bcrypt
// at cost 12 takes about 3 s instead of 0.25 s (measured in docs/performance.md).
const Race = true

const timeoutScale = 10
