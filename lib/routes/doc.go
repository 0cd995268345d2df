// Package routes holds Table, every function under api/ with its Vercel path, generated
// from api/ by the rules of the Vercel Go builder. The local server mounts it with
// vercel.NewRouter; its test fails when the table is stale or api/ breaks a builder rule.
package routes

//go:generate go run ../../cmd/routegen
