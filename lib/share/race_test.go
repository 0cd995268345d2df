//go:build race

package share

// raceBuild: bcrypt is about ten times slower under the race detector, so the burst of wrong
// passwords is judged against a smaller limit there (the same burst, fewer bcrypts).
const raceBuild = true
