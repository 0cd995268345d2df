#!/usr/bin/env bash
# Prints the size of every function binary and fails when one exceeds the limit.
#
#   scripts/func-size.sh                         from the repository root
#   MAX_FUNC_BYTES=8000000 scripts/func-size.sh  another limit (default 10 MiB)
#
# It measures the binaries of the real `vercel build` (scripts/vercel-build.sh), in
# .vercel/output/functions/api/**/NAME.func/bootstrap, rebuilding them first when they are
# missing or older than any Go file, go.mod, go.sum or vercel.json. That is more faithful
# than compiling a look-alike main ourselves: these binaries come from @vercel/go's own
# generated main (go-bridge's vc.Start wrapping the handler), its renamed module, its
# `go build -ldflags "-s -w"` for linux/amd64, i.e. exactly what would be uploaded.
# FUNC_SIZE_BUILD=1 forces the rebuild; FUNC_SIZE_BUILD=0 never rebuilds.
set -euo pipefail

limit=${MAX_FUNC_BYTES:-$((10 * 1024 * 1024))}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
out=.vercel/output

stale() {
	[[ ! -f $out/config.json ]] && return 0
	[[ -n $(find . \( -path ./.vercel -o -path ./.git \) -prune -o \
		\( -name '*.go' -o -name go.mod -o -name go.sum -o -name vercel.json \) \
		-newer "$out/config.json" -print -quit) ]]
}
case ${FUNC_SIZE_BUILD:-auto} in
1) scripts/vercel-build.sh ;;
0) ;;
*) if stale; then scripts/vercel-build.sh; fi ;;
esac

binaries=$(cd "$out/functions" 2>/dev/null && find . -path '*.func/bootstrap' -type f | sed 's#^\./##' | LC_ALL=C sort)
if [[ -z $binaries ]]; then
	echo "func-size: no function binaries in $out/functions" >&2
	exit 1
fi
while IFS= read -r bin; do
	printf '%s\t%s\n' "${bin%.func/bootstrap}" "$(wc -c <"$out/functions/$bin")"
done <<<"$binaries" | awk -F '\t' -v limit="$limit" '
	BEGIN { printf "%-40s %12s %8s\n", "function", "bytes", "MB" }
	{
		mark = ($2 > limit) ? "  over the limit" : ""
		if (mark != "") over++
		printf "%-40s %12d %8.2f%s\n", $1, $2, $2 / 1048576, mark
	}
	END {
		printf "limit: %d bytes (%.2f MB)\n", limit, limit / 1048576
		if (over) { printf "func-size: %d function(s) over the limit\n", over > "/dev/stderr"; exit 1 }
	}'
