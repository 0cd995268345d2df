// Command reseal re-seals every stored OAuth token under the newest TOKEN_KEYS key, so that
// an older key can be removed from the ring afterwards:
//
//  1. put the new key first in TOKEN_KEYS (keep the old one after it) and deploy;
//  2. run `go run ./cmd/reseal` with the same environment (REDIS_URL, TOKEN_KEYS, …);
//  3. when it reports 0 unreadable, remove the old key, after QStash's retries of any
//     revocation queued before step 1 are over (those carry tokens sealed with it).
//
// It walks the index of integrations, never the keyspace, and is safe to run again.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

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
	if st.Unreadable > 0 {
		fmt.Fprintln(os.Stderr, "reseal: some tokens are sealed with a key no longer in TOKEN_KEYS; those integrations will ask their users to reconnect")
		os.Exit(2)
	}
}
