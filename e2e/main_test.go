// Package e2e tests the product from the outside: HTTP in, against the local server with
// every real function, and HTTP answers plus Redis state out. With REDIS_URL set (CI) it runs
// on that real Redis.
package e2e

import (
	"os"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

func TestMain(m *testing.M) { os.Exit(devtest.Main(m)) }
