//go:build !race

package devtest

// Race reports whether the test binary was built with the race detector.
const Race = false

const timeoutScale = 1
