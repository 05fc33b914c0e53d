#!/usr/bin/env bash
# Screenshots of the `compel report` page for docs/report.md and the README:
# the acme example with its latency spike, on a laptop (1280 px), a phone
# (390 px) and printed (A4 landscape, print media at the printable width),
# taken in the system Chromium by tests/browser/check.mjs (which also checks
# the page's layout and accessibility while it is at it).
#
#   scripts/screenshots.sh            # writes docs/img/report-{laptop,phone,print}.png
#
# Needs: chromium, node and npm (the pinned packages of tests/browser are
# installed with `npm ci` when missing), and the acceptance examples in
# ../shared/examples (COMPEL_EXAMPLES overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

chromium="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
[[ -n "$chromium" ]] || { echo "screenshots: chromium is not installed (apt-get install chromium)" >&2; exit 1; }
examples="${COMPEL_EXAMPLES:-$root/../shared/examples}"
[[ -d "$examples/acme" ]] || { echo "screenshots: no acme example in $examples" >&2; exit 1; }
if [[ ! -d tests/browser/node_modules/playwright-core || ! -d tests/browser/node_modules/axe-core ]]; then
    npm ci --prefix tests/browser --no-fund --no-audit --loglevel=error
fi

cargo build --quiet --bin compel
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$examples" && "$root/target/debug/compel" report acme \
    --metrics acme/metrics/latency-spike.json --now 2026-11-24T00:00:00Z -o "$work/report.html")

mkdir -p docs/img
node tests/browser/check.mjs --chromium "$chromium" --page "$work/report.html" \
    --screenshots docs/img --name report
ls -l docs/img/report-*.png
