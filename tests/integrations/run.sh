#!/usr/bin/env bash
# The repository's CI integrations run by the consumers' own tools:
#
# 1. action.yml by `action-validator` (npm `@action-validator/cli`), and the
#    example workflow of the README (tests/integrations/workflow.yml);
# 2. .pre-commit-hooks.yaml by `pre-commit` (PyPI) against a sample
#    repository: a clean file passes both hooks, a badly laid out file fails
#    `compel-fmt` (which rewrites it), a file with an error fails
#    `compel-check`.
#
#   tests/integrations/run.sh [--install]
#
# --install installs missing tools (npm, pip); otherwise a missing tool is a
# failure. pre-commit builds compel from this repository with cargo
# (`language: rust`); the four hook runs share one target folder.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

INSTALL=0
for arg in "$@"; do
  case "$arg" in
    --install) INSTALL=1 ;;
    *) echo "tests/integrations/run.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

need() {
  local tool=$1 install=$2
  if command -v "$tool" >/dev/null 2>&1; then return 0; fi
  if [ "$INSTALL" = 1 ]; then
    echo "installing $tool: $install"
    eval "$install" >/dev/null
  fi
  command -v "$tool" >/dev/null 2>&1 || { echo "FAIL: $tool is not installed ($install)" >&2; exit 1; }
}

need action-validator "npm install -g --no-fund --no-audit @action-validator/cli"
need pre-commit "python3 -m pip install --quiet pre-commit"

failures=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1" >&2; failures=$((failures + 1)); }

# 1. The action and the README's workflow.
for file in action.yml tests/integrations/workflow.yml; do
  if out=$(action-validator "$file" 2>&1); then pass "action-validator $file"; else fail "action-validator $file"; echo "$out" >&2; fi
done
# The README shows the same workflow the validator checked.
if grep -q "uses: compel-lang/compel@v1" README.md && grep -q "uses: compel-lang/compel@v1" tests/integrations/workflow.yml; then
  pass "README shows the validated workflow"
else
  fail "README and tests/integrations/workflow.yml disagree on the action's name"
fi

# 2. pre-commit against a sample repository.
sample=$(mktemp -d)
trap 'rm -rf "$sample"' EXIT
git -C "$sample" init -q
git -C "$sample" config user.email ci@example.invalid
git -C "$sample" config user.name ci
cat > "$sample/people.compel" <<'COMPEL'
person dana {
  name "Dana"
  role CFO
}
COMPEL
git -C "$sample" add people.compel
git -C "$sample" commit -qm sample

# The hooks as pre-commit runs them from this repository (its committed
# state plus the working tree: try-repo snapshots uncommitted changes).
# pre-commit's `cargo install` builds with the release profile; what the
# hooks do does not depend on optimisation, so CI builds it unoptimised,
# without debug info or link-time optimisation, in a target folder of its
# own shared by the runs.
export CARGO_TARGET_DIR="$ROOT/target/pre-commit"
export CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=0
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=256
hooks() { (cd "$sample" && pre-commit try-repo "$ROOT" "$@" --all-files) >"$sample.log" 2>&1; }

if hooks compel-fmt && hooks compel-check; then pass "a clean file passes both hooks"; else fail "a clean file passes both hooks"; cat "$sample.log" >&2; fi

printf 'person   dana {\n name "Dana"\n      role CFO }\n' > "$sample/people.compel"
if hooks compel-fmt; then
  fail "compel-fmt rejects a badly laid out file"
else
  if grep -q '^  role CFO$' "$sample/people.compel"; then pass "compel-fmt rejects and rewrites a badly laid out file"; else fail "compel-fmt rewrote the file"; cat "$sample.log" "$sample/people.compel" >&2; fi
fi

printf 'person dana {\n  name "Dana"\n  role CFOO\n}\n' > "$sample/people.compel"
if hooks compel-check; then
  fail "compel-check rejects an unknown role"
elif grep -q "E0301" "$sample.log"; then
  pass "compel-check rejects an unknown role (E0301)"
else
  fail "compel-check says why"; cat "$sample.log" >&2
fi
rm -f "$sample.log"

if [ "$failures" -gt 0 ]; then
  echo "$failures integration check(s) failed" >&2
  exit 1
fi
echo "integrations: all passed"
