// Command install-schedules creates Metriqs' QStash schedules for a deployment, once: it
// lists the existing schedules first and creates only what is missing (qstash-go cannot set a
// schedule id, so listing is what makes it idempotent). Run it after each deploy with the
// production environment (APP_URL, QSTASH_TOKEN, …):
//
//	go run ./cmd/install-schedules
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/trymetriqs/metriqs/lib/jobs"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "install-schedules:", err)
		os.Exit(1)
	}
}

func run() error {
	pub, err := jobs.Default()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, s := range jobs.Schedules {
		id, created, err := pub.EnsureSchedule(ctx, s.Job, s.Cron)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Job, err)
		}
		state := "already there"
		if created {
			state = "created"
		}
		fmt.Printf("%-14s %-12s %s  %s (%s)\n", s.Job, s.Cron, pub.URL(s.Job), id, state)
	}
	return nil
}
