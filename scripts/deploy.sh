#!/usr/bin/env bash
# Deploys exactly what was built and measured: the offline `vercel build`
# (scripts/vercel-build.sh), the size check (scripts/func-size.sh), then
# `vercel deploy --prebuilt` of that same .vercel/output. Vercel builds nothing, so the
# deployment does not depend on how its builders treat vercel.json's build.env: the Go
# version, GO_BUILD_FLAGS and the Vercel CLI are the pinned ones of vercel-build.sh.
#
#   scripts/deploy.sh              a production deployment
#   scripts/deploy.sh --preview    a preview deployment
#   scripts/deploy.sh [--preview] ARGS…   ARGS go to `vercel deploy` (e.g. --token "$VERCEL_TOKEN")
#
# Needs the project linked once (`vercel link`, which writes .vercel/project.json; .vercel/
# is ignored by git) and a login or a token. The build needs no secret: the functions read
# their configuration at run time from the project's environment variables.
set -euo pipefail

CLI_DIR=${VERCEL_CLI_DIR:-$HOME/.cache/metriqs-vercel-cli}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

target=(--prod)
if [[ ${1:-} == --preview ]]; then
	target=()
	shift
fi
if [[ ! -f .vercel/project.json ]]; then
	echo 'deploy: link the Vercel project first (`npx vercel link`; see the README)' >&2
	exit 1
fi

bash scripts/vercel-build.sh "${target[@]}"
FUNC_SIZE_BUILD=0 bash scripts/func-size.sh
"$CLI_DIR/node_modules/.bin/vercel" deploy --prebuilt "${target[@]}" "$@"
