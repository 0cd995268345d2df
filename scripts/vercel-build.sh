#!/usr/bin/env bash
# Runs the real `vercel build` without a Vercel account and checks that it produced exactly
# one function per api/ file: the proof that the bundle deploys.
#
#   scripts/vercel-build.sh          from the repository root; output in .vercel/output
#   scripts/vercel-build.sh --prod   for production (`vercel deploy --prebuilt --prod` needs it)
#
# How (the recipe of the architecture sketch):
#   - the Vercel CLI from npm, pinned (newer majors do not install here), cached outside the
#     repository in ${VERCEL_CLI_DIR:-$HOME/.cache/metriqs-vercel-cli};
#   - a .vercel/project.json with a made-up project and no framework, so no login is needed;
#   - go-bridge (which the builder's generated main imports) in the module cache, and
#     GOPROXY reading that cache first, so the builder's `go mod tidy` finds it. The Go
#     module proxy is still needed: go-bridge's go.mod requires nothing, so that tidy
#     resolves aws-lambda-go to its latest version on every build, here as on Vercel.
#
# The build runs in a scratch copy of the tracked and unignored files, never in the working
# tree: while building, @vercel/go rewrites go.mod (module renamed to the package name),
# renames each handler inside its source file, and leaves go.sum tidied for that renamed
# module. In place, that would break any `go build` running meanwhile and dirty go.sum.
#
# The builder leaves each binary in a temporary folder and points at it from the function's
# .vc-config.json (filePathMap). This script copies each binary into its .func folder, so
# .vercel/output/functions/api/**/NAME.func/bootstrap is the deployable binary itself
# (scripts/func-size.sh measures those).
#
# The Go build flags come from GO_BUILD_FLAGS in the environment, else from
# DEFAULT_GO_BUILD_FLAGS below: the one place they are set. @vercel/go reads that environment variable (Vercel's Go
# runtime documents it); without the flags every function is ~17.7 MB instead of <= 10 MB. A
# `vercel build` ignores vercel.json's build.env, and whether Vercel's own builds still honour
# that legacy property is not documented, so nothing here depends on it: the README deploys
# this script's output (`vercel deploy --prebuilt`). vercel.json keeps a copy only for a build
# on Vercel's side, and this script fails if that copy differs from the default.
# Arguments (--prod) go to `vercel build`.
#
# CGO_ENABLED=0: @vercel/go leaves CGO to the environment, so the binary would depend on
# whether a C compiler is installed (and then on this machine's C library); we pin the
# static build.
set -euo pipefail

VERCEL_VERSION=58.10.0
# -trimpath: no build-machine paths in the binary (57 KB less on the largest function, measured);
# -s -w: no symbol table or DWARF (@vercel/go's own default, lost once GO_BUILD_FLAGS is set);
# -gcflags=all=-l, then empty gcflags for crypto/... and golang.org/x/crypto/... (the last
# pattern matching a package wins): no inlining except in the crypto packages, ~0.68 MB less per
# function; Go code outside crypto takes about twice the CPU (microseconds a request), while
# TLS handshakes and bcrypt keep their speed (docs/performance.md, "Build flags").
# lambda.norpc: aws-lambda-go without its RPC mode, which links html/template (+8 MB).
# (@vercel/go splits the string with string-argv: keep the quotes around whole arguments.)
DEFAULT_GO_BUILD_FLAGS="-trimpath -ldflags '-s -w' -gcflags=all=-l -gcflags=crypto/...= -gcflags=golang.org/x/crypto/...= -tags lambda.norpc"
GO_BUILD_FLAGS=${GO_BUILD_FLAGS:-$DEFAULT_GO_BUILD_FLAGS}
GO_BRIDGE=github.com/vercel/go-bridge@v0.0.0-20221108222652-296f4c6bdb6d
CLI_DIR=${VERCEL_CLI_DIR:-$HOME/.cache/metriqs-vercel-cli}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
start=$SECONDS

# The builder uses the Go that go.mod asks for (a toolchain line, else the go line): it takes
# the `go` on PATH if that is the exact version, else downloads it from dl.google.com, which
# fails offline. The go command fetches the same toolchain from the Go module proxy
# (golang.org/toolchain, checked against the checksum database, cached in the module cache),
# whatever the local Go and its GOTOOLCHAIN default: we ask it for that toolchain's GOROOT and
# put its bin first on PATH, so the builder finds go.mod's version and downloads nothing.
want_go=$(sed -nE 's/^toolchain[[:space:]]+go([0-9][^[:space:]]*).*/\1/p' go.mod | head -n1)
[[ -n $want_go ]] || want_go=$(sed -nE 's/^go[[:space:]]+([0-9][^[:space:]]*).*/\1/p' go.mod | head -n1)
if ! goroot=$(GOTOOLCHAIN="go$want_go" go env GOROOT) ||
	[[ $("$goroot/bin/go" env GOVERSION 2>/dev/null) != "go$want_go" ]]; then
	echo "vercel-build: cannot get Go $want_go (go.mod) from the module proxy;" >&2
	echo "  @vercel/go would try to download it. Check GOPROXY, or align go.mod." >&2
	exit 1
fi
export PATH="$goroot/bin:$PATH"
echo "vercel-build: Go $want_go from $goroot"

# vercel.json's copy of the flags (for builds on Vercel's side) must not drift from ours.
json_flags=$(node -e '
	const fs = require("fs");
	const cfg = fs.existsSync("vercel.json") ? JSON.parse(fs.readFileSync("vercel.json", "utf8")) : {};
	process.stdout.write(((cfg.build || {}).env || {}).GO_BUILD_FLAGS || "");')
if [[ -n $json_flags && $json_flags != "$DEFAULT_GO_BUILD_FLAGS" ]]; then
	echo "vercel-build: vercel.json build.env.GO_BUILD_FLAGS ($json_flags) differs from" >&2
	echo "  DEFAULT_GO_BUILD_FLAGS in scripts/vercel-build.sh ($DEFAULT_GO_BUILD_FLAGS)." >&2
	exit 1
fi

# The CLI, installed once per version.
vercel_bin=$CLI_DIR/node_modules/.bin/vercel
installed=$(node -p "require('$CLI_DIR/node_modules/vercel/package.json').version" 2>/dev/null || true)
if [[ $installed != "$VERCEL_VERSION" ]]; then
	echo "vercel-build: installing vercel@$VERCEL_VERSION into $CLI_DIR"
	mkdir -p "$CLI_DIR"
	npm install --prefix "$CLI_DIR" --save-exact --no-audit --no-fund --loglevel=error "vercel@$VERCEL_VERSION"
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/metriqs-vercel-build.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
src=$scratch/src
mkdir -p "$src" "$scratch/tmp"

# Outside any module, so that nothing here touches our go.mod or go.sum.
(cd "$scratch" && GOFLAGS=-mod=mod go mod download "$GO_BRIDGE")

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# What a deployment from this tree would hold: tracked and new files, minus ignored ones
	# (and minus tracked files deleted in the working tree).
	git ls-files -z --cached --others --exclude-standard --deduplicate |
		while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
		tar --null -T - -cf - | tar -xf - -C "$src"
else
	tar --exclude=./.git --exclude=./.vercel -cf - . | tar -xf - -C "$src"
fi
mkdir -p "$src/.vercel"
printf '%s\n' '{"projectId":"prj_local","orgId":"team_local","settings":{"framework":null}}' >"$src/.vercel/project.json"

echo "vercel-build: vercel build in $src"
(
	cd "$src"
	export VERCEL_TELEMETRY_DISABLED=1
	modcache=$(go env GOMODCACHE)
	export GOPROXY="file://$modcache/cache/download,https://proxy.golang.org"
	export GOTOOLCHAIN=local CGO_ENABLED=0
	export TMPDIR=$scratch/tmp # the builder's temporary folders, binaries included
	export GO_BUILD_FLAGS
	echo "vercel-build: GO_BUILD_FLAGS=$GO_BUILD_FLAGS"
	"$vercel_bin" build --yes "$@" </dev/null
)

# Bring the output home, each binary copied into its function folder.
rm -rf .vercel/output
mkdir -p .vercel
cp -R "$src/.vercel/output" .vercel/output
node - "$src" "$root/.vercel/output" <<'EOF'
const fs = require("fs"), path = require("path");
const [src, out] = process.argv.slice(2);
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]);
for (const file of walk(path.join(out, "functions"))) {
  if (path.basename(file) !== ".vc-config.json") continue;
  const cfg = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const [name, rel] of Object.entries(cfg.filePathMap || {})) {
    // filePathMap paths are relative to the project root the build ran in.
    fs.copyFileSync(path.resolve(src, rel), path.join(path.dirname(file), name));
    fs.chmodSync(path.join(path.dirname(file), name), 0o755);
  }
  delete cfg.filePathMap;
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + "\n");
}
EOF

# No platform redirect under /api (docs/API.md): cleanUrls' 308s for /api/x.go, /api/x/index
# and /api/x.html are config.json's first routes, before any of ours, so they are exempted
# from /api here; those paths then reach api/not-found.go's JSON 404 like any unknown one.
GOTOOLCHAIN=local go run ./cmd/routegen -exempt-api-redirects .vercel/output/config.json

# One function per api/ file, by Vercel's rules: Go files that are not tests, with no path
# element starting with "_" or "." (node_modules aside).
expected=$(find api -type d \( -name '.*' -o -name '_*' -o -name node_modules \) -prune -o \
	-type f -name '*.go' ! -name '*_test.go' ! -name '_*' ! -name '.*' -print 2>/dev/null |
	sed 's/\.go$//' | LC_ALL=C sort)
actual=$(cd .vercel/output/functions && find . -type d -name '*.func' |
	sed -e 's#^\./##' -e 's/\.func$//' | LC_ALL=C sort)
missing=$(LC_ALL=C comm -23 <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | sed '/^$/d')
extra=$(LC_ALL=C comm -13 <(printf '%s\n' "$expected") <(printf '%s\n' "$actual") | sed '/^$/d')
no_binary=$(cd .vercel/output/functions && find . -type d -name '*.func' ! -exec test -x '{}/bootstrap' ';' -print)
if [[ -n $missing || -n $extra || -n $no_binary ]]; then
	[[ -z $missing ]] || printf 'vercel-build: no function for:\n%s\n' "$missing" | sed '2,$s/^/  /' >&2
	[[ -z $extra ]] || printf 'vercel-build: unexpected function:\n%s\n' "$extra" | sed '2,$s/^/  /' >&2
	[[ -z $no_binary ]] || printf 'vercel-build: no bootstrap binary in:\n%s\n' "$no_binary" | sed '2,$s/^/  /' >&2
	exit 1
fi
count=$(printf '%s\n' "$expected" | sed '/^$/d' | wc -l)
echo "vercel-build: $count functions in .vercel/output/functions, one per api/ file ($((SECONDS - start))s)"
