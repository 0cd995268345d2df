// Command reseal re-seals every stored OAuth token and TOTP secret under the newest
// TOKEN_KEYS key, and moves every e-mail lookup name under the newest EMAIL_KEYS key (from an
// older key, or from the unkeyed SHA-256 names of before EMAIL_KEYS), so that an older key
// can be removed from its ring afterwards:
//
//  1. put the new key first in TOKEN_KEYS or EMAIL_KEYS (keep the old one after it) and deploy;
//  2. run `go run ./cmd/reseal` with the same environment (REDIS_URL, TOKEN_KEYS, …);
//  3. when it reports 0 unreadable, remove the old key, after QStash's retries of any
//     revocation queued before step 1 are over (those carry tokens sealed with it).
//
// It walks the indexes of integrations and of 2FA users, never the keyspace, and is safe to
// run again.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/trymetriqs/metriqs/lib/account"
	"github.com/trymetriqs/metriqs/lib/integration"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	svc, err := integration.Default()
	if err != nil {
		fmt.Fprintln(os.Stderr, "reseal:", err)
		os.Exit(1)
	}
	st, err := svc.Reseal(ctx)
	fmt.Printf("integrations checked: %d, re-sealed: %d, unreadable: %d, stale index entries removed: %d\n",
		st.Checked, st.Resealed, st.Unreadable, st.Gone)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reseal:", err)
		os.Exit(1)
	}
	accounts, err := account.Default()
	if err != nil {
		fmt.Fprintln(os.Stderr, "reseal:", err)
		os.Exit(1)
	}
	ts, err := accounts.ResealTOTP(ctx)
	fmt.Printf("TOTP secrets checked: %d, re-sealed: %d, unreadable: %d\n", ts.Checked, ts.Resealed, ts.Unreadable)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reseal:", err)
		os.Exit(1)
	}
	es, err := accounts.RekeyEmails(ctx)
	fmt.Printf("e-mail lookup names checked: %d, moved under the newest key: %d, orphaned (left as they are): %d\n", es.Checked, es.Moved, es.Orphaned)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reseal:", err)
		os.Exit(1)
	}
	if st.Unreadable > 0 || ts.Unreadable > 0 {
		fmt.Fprintln(os.Stderr, "reseal: some values are sealed with a key no longer in TOKEN_KEYS; those integrations ask their users to reconnect, and those 2FA users sign in with a recovery code")
		os.Exit(2)
	}
}
