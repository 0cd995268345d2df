//go:build !race

package web

const deadlineScale = 1
