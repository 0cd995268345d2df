// Package browser tests the pages of public/ in a real browser: Debian's Chromium, headless,
// driven with chromedp against the local server started in-process (every api/ function,
// public/ with vercel.json's rules and headers, embedded or real Redis).
//
// Every test fails on a console error, an uncaught exception or a Content-Security-Policy
// violation on any page it visits. Tests skip with a clear message where /usr/bin/chromium is
// missing (apt-get install chromium fonts-liberation). With UPDATE_SCREENSHOTS=1 they save the
// screenshots of docs/screenshots/.
package browser

import (
	"os"
	"testing"

	"github.com/trymetriqs/metriqs/lib/devserver/devtest"
)

func TestMain(m *testing.M) { os.Exit(devtest.Main(m)) }
