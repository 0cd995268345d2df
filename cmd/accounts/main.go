// Command accounts is the support tool for deleted accounts, run with the deployment's
// environment:
//
//	go run ./cmd/accounts verify USER_ID [TEXT…]   what still mentions the user (exit 1 if anything but billing)
//	go run ./cmd/accounts sweep                    purge deleted accounts whose purge is overdue
//
// verify scans the whole keyspace under the prefix for the user id and any extra TEXT (an
// e-mail address, a name): a support tool may scan; the product's own deletion never does.
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

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: accounts verify USER_ID [TEXT…] | accounts sweep")
	}
	svc, err := deletion.Default()
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
		personal := 0
		for _, l := range left {
			kind := "PERSONAL"
			if l.Billing {
				kind = "billing (kept 7 years)"
			} else {
				personal++
			}
			fmt.Printf("%-24s %-60s ttl %s\n", kind, l.Key, l.TTL)
		}
		if personal > 0 {
			fmt.Printf("%d keys other than billing records still mention the user\n", personal)
			os.Exit(1)
		}
		fmt.Println("nothing but billing records remains")
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
