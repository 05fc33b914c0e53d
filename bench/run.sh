#!/usr/bin/env bash
# The performance harness, one command from a fresh clone:
#
#   bench/run.sh
#
# 1. installs cedar-policy-cli (pinned) into bench/.cache/cargo-root, once;
# 2. runs the language server's latency test (tests/lsp.rs, `lsp_latency`)
#    and keeps its output;
# 3. installs the pinned npm packages of tests/browser (playwright-core,
#    axe-core) for Chromium's load time of the report page;
# 4. runs `cargo bench --bench harness` (benches/harness.rs), which generates
#    the workloads under bench/.cache/work, times compel check, eval and
#    diff (two git revisions differing in 1% of the thresholds),
#    cedar validate, a live Prometheus, and prints the table (also written
#    to bench/.cache/results.md).
#
# Needs: a Rust toolchain, network access to crates.io the first time (for
# cedar), and for the full table `prometheus`, `promtool`, `/usr/bin/time`
# and `valgrind` (Debian: apt-get install prometheus time valgrind), and for
# the report page's load time `chromium`, `node` and `npm`. A missing
# tool costs its rows, not the run.
#
# Environment: COMPEL_BENCH_REPS (default 11), COMPEL_BENCH_N (10000),
# COMPEL_BENCH_SMALL_N (1000), COMPEL_BENCH_PROMETHEUS=0 to skip Prometheus,
# COMPEL_BENCH_LSP=0 to skip the language server, CEDAR_VERSION (4.14.1),
# COMPEL_BENCH_BASELINE=path/to/another/compel to time an older build in the
# same rounds (before/after; the language server's too, edit by edit),
# COMPEL_BENCH_ONLY=compare,memory,instructions,compile,diff,startup,prometheus,
# report,lsp to run some sections only; COMPEL_BENCH_SERVE=0
# skips the `compel compile` / `compel serve` table (benches/serve.rs).
set -euo pipefail

cd "$(dirname "$0")/.."
cache=bench/.cache
mkdir -p "$cache"

cedar_version="${CEDAR_VERSION:-4.14.1}"
cedar="$PWD/$cache/cargo-root/bin/cedar"
if [[ ! -x "$cedar" ]] || ! "$cedar" --version 2>/dev/null | grep -q "$cedar_version"; then
    echo "bench: installing cedar-policy-cli $cedar_version into $cache/cargo-root (once; it takes a while)" >&2
    cargo install --locked --quiet --root "$cache/cargo-root" --version "$cedar_version" cedar-policy-cli \
        || echo "bench: could not install cedar-policy-cli; the table will have no Cedar rows" >&2
fi

for tool in prometheus promtool; do
    command -v "$tool" >/dev/null || echo "bench: \`$tool\` not found (apt-get install prometheus): no live-Prometheus rows" >&2
done
[[ -x /usr/bin/time ]] || echo "bench: /usr/bin/time not found (apt-get install time): no peak-memory rows" >&2
command -v valgrind >/dev/null || echo "bench: valgrind not found (apt-get install valgrind): no instruction counts" >&2

if command -v chromium >/dev/null && command -v npm >/dev/null; then
    [[ -d tests/browser/node_modules/playwright-core ]] \
        || npm ci --prefix tests/browser --no-fund --no-audit --loglevel=error \
        || echo "bench: npm ci in tests/browser failed: no Chromium load time" >&2
else
    echo "bench: \`chromium\` or \`npm\` not found (apt-get install chromium nodejs npm): no Chromium load time" >&2
fi

# The bench profile for the test too, so both share one build.
lsp_log=""
if [[ "${COMPEL_BENCH_LSP:-1}" != 0 ]]; then
    lsp_log="$cache/lsp.log"
    echo "bench: language-server latency (cargo test --profile bench --test lsp -- --ignored lsp_latency)" >&2
    # With a baseline, the test also times it against this build, edit by edit.
    if ! COMPEL_LSP_BASELINE="${COMPEL_BENCH_BASELINE:-}" \
        cargo test --quiet --profile bench --test lsp -- --ignored lsp_latency --nocapture >"$lsp_log" 2>&1; then
        echo "bench: the latency test failed (a target missed, or an error); its figures are still read from $lsp_log" >&2
    fi
fi

echo "bench: cargo bench --bench harness" >&2
COMPEL_BENCH_LSP_LOG="$lsp_log" CEDAR="$cedar" cargo bench --quiet --bench harness

# Continuous governance: compile of the N workload, one serve cycle against
# Prometheus (queries and time), serve's memory over 1,000 cycles.
if [[ "${COMPEL_BENCH_SERVE:-1}" != 0 ]]; then
    echo "bench: cargo bench --bench serve" >&2
    cargo bench --quiet --bench serve
fi
