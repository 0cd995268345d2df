// Command accounts is the support tool for deleted accounts, run with the deployment's
// environment:
//
//	go run ./cmd/accounts verify USER_ID [TEXT…]   what still mentions the user (exit 1 if a key breaks the invariant)
//	go run ./cmd/accounts sweep                    purge deleted accounts whose purge is overdue
//
// verify scans the whole keyspace under the prefix for the user id and any extra TEXT (an
// e-mail address, a name): a support tool may scan; the product's own deletion never does.
// It checks exactly the invariant of docs/security.md ("The user's key index"): every key of
// the user that has no expiry of at most 30 days is in the user's index — for a deleted,
// purged account, whose index is gone, that nothing but billing records is left without one.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/trymetriqs/metriqs/lib/deletion"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "accounts:", err)
		os.Exit(2)
	}
}

// report prints every leftover, how it is judged, and answers how many break the invariant.
func report(left []deletion.Leftover) int {
	broken := 0
	for _, l := range left {
		kind := "expires within 30 days"
		switch {
		case l.Billing:
			kind = "billing (kept 7 years)"
		case l.Breaks():
			kind = "BREAKS THE INVARIANT"
			broken++
		case l.Indexed:
			kind = "in the user's index"
		}
		ttl := "none"
		if l.TTL > 0 {
			ttl = l.TTL.String()
		}
		fmt.Printf("%-24s %-60s ttl %s\n", kind, l.Key, ttl)
	}
	return broken
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: accounts verify USER_ID [TEXT…] | accounts sweep")
	}
	svc, err := deletion.Purger()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	switch args[0] {
	case "verify":
		if len(args) < 2 {
			return fmt.Errorf("usage: accounts verify USER_ID [TEXT…]")
		}
		left, err := svc.Verify(ctx, args[1], args[2:]...)
		if err != nil {
			return err
		}
		if broken := report(left); broken > 0 {
			fmt.Printf("%d keys break the invariant: not billing, not in the user's index, and no expiry within 30 days\n", broken)
			os.Exit(1)
		}
		fmt.Println("nothing but billing records and keys expiring within 30 days remains")
	case "sweep":
		n, err := svc.Sweep(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("purged %d overdue accounts\n", n)
	default:
		return fmt.Errorf("unknown command %q", args[0])
	}
	return nil
}
