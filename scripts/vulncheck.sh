#!/usr/bin/env bash
# The dependency security review as a CI step: govulncheck against an offline copy of the Go
# vulnerability database, failing when our code reaches a known vulnerability, in the
# standard library or in any module we require.
#
#   scripts/vulncheck.sh        scans this module (tests included), with the Go the go
#                               command resolves here (CI exports GOTOOLCHAIN=go1.27.3)
#   scripts/vulncheck.sh DIR    scans the module in DIR instead
#
# The database is built from the golang.org/x/vulndb module at the pinned VULNDB_VERSION: its
# data/osv holds the OSV entries, its cmd/indexdb writes the database govulncheck reads
# (`-db file://…`). Offline and pinned because a review must be reproducible: the verdict
# changes only when the code, the toolchain or the pin changes (never because vuln.go.dev
# published an entry during a run, or is unreachable), and the entries are authenticated: the
# go command checks the module's zip against the Go checksum database, and this script
# checks it against VULNDB_SUM as well. Moving the pin (docs/security.md, "Dependency
# reviews"):
#   go list -m -json golang.org/x/vulndb@latest          # outside this module: the newest Version
#   go mod download -json golang.org/x/vulndb@VERSION    # its "Sum"
# then set VULNDB_VERSION and VULNDB_SUM below and rerun: new entries fail CI where they apply.
#
# govulncheck's default (source) mode reports only vulnerabilities whose vulnerable symbols
# are reachable from our code in the call graph, and then exits 3; it lists the others
# (imported or required but not called) in one sentence and exits 0. -test includes the test
# code, so the test-only modules (chromedp, miniredis) are reviewed too.
#
# Cached under ${VULNCHECK_CACHE:-$HOME/.cache/metriqs-vulncheck}: the built database per pin
# (~40 MB), the govulncheck binary per version. A warm run is the scan alone.
set -euo pipefail

VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018
VULNDB_SUM=h1:mfngRv0Yoh0VApsXKEN82CjD99kl7mtparN3bs3JnqI=
GOVULNCHECK_VERSION=v1.9.0
CACHE=${VULNCHECK_CACHE:-$HOME/.cache/metriqs-vulncheck}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=$(cd "${1:-$root}" && pwd)
start=$SECONDS
scratch=$(mktemp -d "${TMPDIR:-/tmp}/metriqs-vulncheck.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# json_field NAME: the string field NAME of the go command's indented JSON on stdin.
json_field() { sed -nE "s/^[[:space:]]*\"$1\": \"(.*)\",?$/\\1/p" | head -n1; }

# The database, built once per pin. Everything runs in $scratch, outside any module, so our
# go.mod and go.sum are never touched.
db=$CACHE/db/$VULNDB_VERSION
if [[ ! -f $db/index/db.json ]]; then
	echo "vulncheck: building the vulnerability database at golang.org/x/vulndb@$VULNDB_VERSION"
	info=$(cd "$scratch" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION")
	sum=$(json_field Sum <<<"$info")
	if [[ $sum != "$VULNDB_SUM" ]]; then
		echo "vulncheck: golang.org/x/vulndb@$VULNDB_VERSION has sum $sum, want $VULNDB_SUM" >&2
		exit 1
	fi
	(cd "$scratch" && go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" \
		-vulns "$(json_field Dir <<<"$info")/data/osv" -out "$scratch/db")
	mkdir -p "$CACHE/db"
	rm -rf "$db" && mv "$scratch/db" "$db"
fi

govulncheck=$CACHE/bin/$GOVULNCHECK_VERSION/govulncheck
if [[ ! -x $govulncheck ]]; then
	echo "vulncheck: installing govulncheck@$GOVULNCHECK_VERSION"
	(cd "$scratch" && GOBIN="$(dirname "$govulncheck")" go install "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION")
fi

echo "vulncheck: $(cd "$target" && go env GOVERSION), database golang.org/x/vulndb@$VULNDB_VERSION, govulncheck@$GOVULNCHECK_VERSION"
status=0
(cd "$target" && "$govulncheck" -db "file://$db" -test ./...) || status=$?
echo "vulncheck: exit $status ($((SECONDS - start))s)"
exit "$status"
