#!/usr/bin/env bash
# Runs the real `vercel build` without a Vercel account and checks that it produced exactly
# one function per api/ file: the proof that the bundle deploys.
#
#   scripts/vercel-build.sh          from the repository root; output in .vercel/output
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
# vercel.json's build.env (GO_BUILD_FLAGS) is exported into the build, as Vercel's platform
# does for a deployment; a local `vercel build` would silently ignore it.
#
# CGO_ENABLED=0: @vercel/go leaves CGO to the environment, so the binary would depend on
# whether a C compiler is installed (and then on this machine's C library); we pin the
# static build.
set -euo pipefail

VERCEL_VERSION=58.10.0
GO_BRIDGE=github.com/vercel/go-bridge@v0.0.0-20221108222652-296f4c6bdb6d
CLI_DIR=${VERCEL_CLI_DIR:-$HOME/.cache/metriqs-vercel-cli}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
start=$SECONDS

# The builder uses the Go that go.mod asks for (a toolchain line, else the go line) and
# downloads it from dl.google.com when the local one differs, which fails offline. Say so
# before it tries.
want_go=$(sed -nE 's/^toolchain[[:space:]]+go([0-9][^[:space:]]*).*/\1/p' go.mod | head -n1)
[[ -n $want_go ]] || want_go=$(sed -nE 's/^go[[:space:]]+([0-9][^[:space:]]*).*/\1/p' go.mod | head -n1)
have_go=$(go env GOVERSION)
if [[ "go$want_go" != "$have_go" ]]; then
	echo "vercel-build: go.mod selects Go $want_go but the local Go is $have_go;" >&2
	echo "  @vercel/go would try to download Go $want_go. Install it, or align go.mod." >&2
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
	while IFS= read -r -d '' kv; do
		echo "vercel-build: build.env ${kv%%=*}=${kv#*=}"
		# shellcheck disable=SC2163 # kv is NAME=value: exporting that is the point
		export "$kv"
	done < <(node -e '
		const fs = require("fs");
		const cfg = fs.existsSync("vercel.json") ? JSON.parse(fs.readFileSync("vercel.json", "utf8")) : {};
		const env = (cfg.build || {}).env || {};
		for (const [k, v] of Object.entries(env)) process.stdout.write(k + "=" + v + "\0");')
	"$vercel_bin" build --yes </dev/null
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
