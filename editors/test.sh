#!/usr/bin/env bash
# Tests of the editor packages, against the real `compel lsp`.
#
#   editors/test.sh [--install] [vscode] [neovim] [emacs] [helix]
#
# Parts (all when none is named):
# 1. VS Code: npm ci, npm run compile, the grammar tests (npm test), smoke
#    tests of the compiled client against a fake `vscode` API (the missing-
#    binary message, the server command, Evaluate folder with the real
#    `compel eval`), vsce package, and the .vsix holds the grammar, the
#    compiled client and the rest of the extension.
#    Then the .vsix in a real VS Code: code-server (npm; Node 24 from the npm
#    `node` package) in Debian's Chromium, driven by playwright-core: the
#    missing-binary message, a misspelt KPI in the Problems view, hover,
#    completion after `sponsor `, compel: Evaluate folder's report.
# 2. Neovim (headless, the plugin on the runtimepath as a user puts it):
#    a `.compel` file with a misspelt KPI gets filetype `compel`, highlighting
#    and, from the server, E0301 on the right line; fixing the typo clears it.
#    Then the README's init.lua in a Neovim driven by keys: K, gd, gr,
#    <C-x><C-o> after `sponsor `, gq, <space>f, <space>rn on the acme example.
# 3. Emacs (batch mode, Debian's emacs-nox with elpa-eglot): compel-mode's
#    highlighting, comments and indentation (each example file re-indented
#    as `compel fmt` wrote it), then eglot with the real server: E0301 as a
#    Flymake diagnostic, cleared by the fix; M-. on a KPI and on a person in
#    people.compel; completion after `sponsor `.
# 4. Helix / any LSP client: the server starts from languages.toml's command
#    over stdio, answers initialize with the capabilities the README lists and
#    publishes the same diagnostic.
#
# Environment:
#   COMPEL_BIN  the compel binary (default target/debug/compel; built with
#               `cargo build` when missing)
#   COMPEL_NVIM the Neovim binaries to test, space-separated (default: nvim)
#   COMPEL_CODE_SERVER_DIR where --install puts Node 24, code-server and
#               playwright-core (default ~/.cache/compel-editors/code-server)
#   COMPEL_EXAMPLES the acceptance examples (default ../shared/examples)
#   CI          when set, a part whose tools are missing fails (else: skipped
#               with a note, for code-server)
# --install (or COMPEL_EDITORS_INSTALL=1) installs missing tools with apt-get
# (neovim, emacs-nox and elpa-eglot, nodejs and npm, python3); otherwise a
# missing tool is a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

INSTALL=${COMPEL_EDITORS_INSTALL:-0}
PARTS=()
for arg in "$@"; do
  case "$arg" in
    --install) INSTALL=1 ;;
    vscode | neovim | emacs | helix) PARTS+=("$arg") ;;
    -h | --help) sed -n '2,41p' "$0"; exit 0 ;;
    *) echo "editors/test.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

[ ${#PARTS[@]} -eq 0 ] && PARTS=(vscode neovim emacs helix)
want() { [[ " ${PARTS[*]} " == *" $1 "* ]]; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/compel-editors.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0
failures=()

# step NAME CMD...: runs CMD, output to a log; prints ok/FAIL and the log's
# tail on failure. With SHOW=1, also the PASS lines of the log (the checks).
step() {
  local name=$1
  shift
  local log="$WORK/step-$((passed + failed)).log"
  local start=$SECONDS
  if "$@" >"$log" 2>&1; then
    passed=$((passed + 1))
    printf 'ok    %-62s %3ss\n' "$name" "$((SECONDS - start))"
    if [ "${SHOW:-0}" = 1 ]; then
      grep -E '^(PASS|neovim|lsp|✓|ok [0-9]| +passed +[0-9]|GNU Emacs)' "$log" | sed 's/^/      | /' || true
    fi
    return 0
  else
    local rc=$?
    failed=$((failed + 1))
    failures+=("$name")
    printf 'FAIL  %-62s %3ss (exit %s)\n' "$name" "$((SECONDS - start))" "$rc"
    tail -n 40 "$log" | sed 's/^/      | /'
    return 1
  fi
}

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# need CMD DEBIAN-PACKAGE...: the tool is there, or is installed when allowed.
need() {
  local cmd=$1
  shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  if [ "$INSTALL" = 1 ]; then
    echo "installing $* (for $cmd)"
    apt_install "$@"
    command -v "$cmd" >/dev/null 2>&1 && return 0
  fi
  echo "missing tool: $cmd (Debian: apt-get install $*; or run editors/test.sh --install)" >&2
  return 1
}

# ---- the compel binary ------------------------------------------------------

COMPEL_BIN=${COMPEL_BIN:-target/debug/compel}
case "$COMPEL_BIN" in /*) ;; *) COMPEL_BIN="$ROOT/$COMPEL_BIN" ;; esac
if [ ! -x "$COMPEL_BIN" ]; then
  step "cargo build (no $COMPEL_BIN yet)" cargo build --quiet || true
fi
if [ ! -x "$COMPEL_BIN" ]; then
  echo "editors/test.sh: no compel binary at $COMPEL_BIN" >&2
  exit 1
fi
echo "compel: $COMPEL_BIN ($(timeout 10 "$COMPEL_BIN" --version 2>/dev/null || echo '?'))"

FIXTURE="$ROOT/editors/neovim/test/fixtures/misspelt.compel"
# The acceptance examples, beside the repository.
EXAMPLES=${COMPEL_EXAMPLES:-$ROOT/../shared/examples}

# ---- 1. VS Code -------------------------------------------------------------

VSIX="$WORK/compel.vsix"

vsix_has() {
  local listing
  if command -v unzip >/dev/null 2>&1; then
    listing=$(unzip -Z1 "$VSIX")
  else
    listing=$(python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$VSIX")
  fi
  local missing=0 f
  for f in "$@"; do
    if grep -qxF "$f" <<<"$listing"; then
      echo "PASS $f"
    else
      echo "MISSING $f"
      missing=1
    fi
  done
  return "$missing"
}

vscode() {
  (cd editors/vscode && "$@")
}

if ! want vscode; then
  :
elif need node nodejs && need npm npm; then
  echo "node $(node --version), npm $(npm --version 2>/dev/null)"
  if step "vscode: npm ci" vscode npm ci --no-audit --no-fund \
    && step "vscode: npm run compile (tsc)" vscode npm run compile \
    && SHOW=1 step "vscode: npm test (grammar tests, one file per construct)" vscode npm test \
    && SHOW=1 step "vscode: npm run test:smoke (client, eval command)" vscode env COMPEL_BIN="$COMPEL_BIN" npm run test:smoke \
    && step "vscode: vsce package" vscode npx --no-install vsce package --allow-missing-repository --out "$VSIX"; then
    SHOW=1 step "vscode: the .vsix holds the grammar and the compiled client" vsix_has \
      extension/package.json \
      extension/syntaxes/compel.tmLanguage.json \
      extension/syntaxes/compel.markdown.tmLanguage.json \
      extension/language-configuration.json \
      extension/snippets/compel.json \
      extension/out/extension.js \
      extension/node_modules/vscode-languageclient/package.json \
      extension/readme.md \
      extension/LICENSE.txt || true
  fi
else
  failed=$((failed + 1))
  failures+=("vscode: node and npm are needed")
fi

# ---- 1b. VS Code for real: code-server in Chromium -----------------------------
#
# code-server (VS Code's workbench, from the npm registry) needs Node 24,
# which the npm registry serves as the `node` package; its native modules
# build with node-gyp against that Node's headers (npm_config_nodedir, so
# nothing is fetched from outside the registries). All of it goes to
# $COMPEL_CODE_SERVER_DIR (default ~/.cache/compel-editors/code-server, a
# cache kept across runs and clones).

CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.2
CS_DIR=${COMPEL_CODE_SERVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/compel-editors/code-server}
case "$CS_DIR" in /*) ;; *) CS_DIR="$ROOT/$CS_DIR" ;; esac

# The folder of Node 24 (bin/node, include/node/common.gypi), if installed.
node24_dir() {
  local d
  for d in "$CS_DIR"/node/node_modules/node/node_modules/node-linux-*; do
    [ -x "$d/bin/node" ] && [ -f "$d/include/node/common.gypi" ] && { echo "$d"; return 0; }
  done
  return 1
}

code_server_ready() {
  node24_dir >/dev/null && [ -x "$CS_DIR/app/node_modules/.bin/code-server" ] \
    && [ -f "$CS_DIR/app/node_modules/playwright-core/package.json" ]
}

install_code_server() {
  # node-gyp's tools and the headers code-server's native modules build with.
  apt_install build-essential python3 pkg-config libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev
  mkdir -p "$CS_DIR/node" "$CS_DIR/app"
  [ -f "$CS_DIR/node/package.json" ] || echo '{ "private": true }' >"$CS_DIR/node/package.json"
  [ -f "$CS_DIR/app/package.json" ] || echo '{ "private": true }' >"$CS_DIR/app/package.json"
  (cd "$CS_DIR/node" && npm install --no-audit --no-fund --loglevel=error node@24)
  local n
  n=$(node24_dir) || { echo "the node@24 package left no Node 24 in $CS_DIR/node" >&2; return 1; }
  (cd "$CS_DIR/app" && PATH="$n/bin:$PATH" npm_config_nodedir="$n" \
    npm install --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION")
}

code_server_test() {
  local n
  n=$(node24_dir)
  mkdir -p "$WORK/code-server-test"
  echo "node $("$n/bin/node" --version), code-server $CODE_SERVER_VERSION, $(chromium --version 2>/dev/null)"
  (cd editors/vscode && PATH="$n/bin:$PATH" \
    CODE_SERVER="$CS_DIR/app/node_modules/.bin/code-server" \
    PLAYWRIGHT_CORE="$CS_DIR/app/node_modules/playwright-core" \
    CHROMIUM="$(command -v chromium)" COMPEL_BIN="$COMPEL_BIN" COMPEL_VSIX="$VSIX" \
    COMPEL_EXAMPLES="$EXAMPLES" COMPEL_WORK="$WORK/code-server-test" \
    timeout 600 node test/code-server.test.js)
}

if ! want vscode; then
  :
elif [ ! -f "$VSIX" ]; then
  echo "skip  vscode: code-server (no .vsix was built)"
elif ! code_server_ready && [ "$INSTALL" = 1 ] && need chromium chromium; then
  step "vscode: install Node 24, code-server $CODE_SERVER_VERSION, playwright-core (npm)" install_code_server || true
fi
if want vscode && [ -f "$VSIX" ]; then
  if code_server_ready && command -v chromium >/dev/null 2>&1; then
    SHOW=1 step "vscode: the .vsix in code-server, driven in Chromium" code_server_test || true
  elif [ -n "${CI:-}" ]; then
    failed=$((failed + 1))
    failures+=("vscode: code-server is required when CI is set (editors/test.sh --install)")
  else
    echo "skip  vscode: code-server in Chromium (not installed; editors/test.sh --install installs it into $CS_DIR)"
  fi
fi

# ---- 2. Neovim ----------------------------------------------------------------

nvim_test() {
  local nvim=$1 dir
  dir=$(mktemp -d "$WORK/nvim.XXXXXX")
  cp "$FIXTURE" "$dir/misspelt.compel"
  # `--cmd` puts the plugin on the runtimepath before startup, as a line in
  # init.lua does, so ftdetect/ runs; `--clean` skips the user's config.
  COMPEL_BIN="$COMPEL_BIN" COMPEL_TEST_FILE="$dir/misspelt.compel" \
    timeout 60 "$nvim" --headless --clean \
    --cmd "set rtp^=$ROOT/editors/neovim" \
    -c "luafile $ROOT/editors/neovim/test/lsp_test.lua"
}

# The README's init.lua in an editor driven by keys (gd, K, gr, <C-x><C-o>,
# gq, <space>f, <space>rn) on a copy of the acme example.
nvim_keys_test() {
  local nvim=$1 dir
  dir=$(mktemp -d "$WORK/nvim-keys.XXXXXX")
  cp "$EXAMPLES/acme/acme.compel" "$EXAMPLES/acme/people.compel" "$dir/"
  COMPEL_BIN="$COMPEL_BIN" COMPEL_PLUGIN="$ROOT/editors/neovim" COMPEL_TEST_DIR="$dir" \
    timeout 120 "$nvim" --headless --clean -c "luafile $ROOT/editors/neovim/test/keys_test.lua"
}

read -r -a NVIMS <<<"${COMPEL_NVIM:-nvim}"
want neovim || NVIMS=()
for nvim in "${NVIMS[@]}"; do
  if [ "$nvim" = nvim ] && ! need nvim neovim; then
    failed=$((failed + 1))
    failures+=("neovim: nvim is needed")
    continue
  fi
  version=$("$nvim" --version 2>/dev/null | head -n 1 || echo "$nvim")
  SHOW=1 step "neovim ($version): filetype, syntax, E0301 from compel lsp" nvim_test "$nvim" || true
  SHOW=1 step "neovim ($version): K, gd, gr, omnifunc, gq, rename by keys" nvim_keys_test "$nvim" || true
done

# ---- 3. Emacs -----------------------------------------------------------------

# eglot is built in from Emacs 29; Debian 12's Emacs 28 needs elpa-eglot.
have_eglot() {
  emacs --batch --eval "(require 'eglot)" >/dev/null 2>&1
}

emacs_test() {
  local dir
  dir=$(mktemp -d "$WORK/emacs.XXXXXX")
  mkdir "$dir/acme" "$dir/misspelt"
  cp "$EXAMPLES/acme/acme.compel" "$EXAMPLES/acme/people.compel" "$EXAMPLES/acme/acme_test.compel" "$dir/acme/"
  cp "$FIXTURE" "$dir/misspelt/"
  chmod -R u+w "$dir" # the examples may be read-only; the tests edit copies
  emacs --version | head -n 1
  COMPEL_BIN="$COMPEL_BIN" COMPEL_TEST_DIR="$dir/acme" COMPEL_TEST_MISSPELT="$dir/misspelt/misspelt.compel" \
    timeout 180 emacs --batch -L "$ROOT/editors/emacs" -l "$ROOT/editors/emacs/test/compel-mode-test.el" \
    -f ert-run-tests-batch-and-exit
}

if ! want emacs; then
  :
elif need emacs emacs-nox && { have_eglot || { [ "$INSTALL" = 1 ] && apt_install elpa-eglot && have_eglot; }; }; then
  SHOW=1 step "emacs: compel-mode, eglot: diagnostics, M-., completion" emacs_test || true
else
  failed=$((failed + 1))
  failures+=("emacs: emacs (emacs-nox) with eglot (elpa-eglot before Emacs 29) is needed")
fi

# ---- 4. Helix / any LSP client -------------------------------------------------

if ! want helix; then
  :
elif need python3 python3; then
  SHOW=1 step "helix/any client: languages.toml's server on stdio, E0301" \
    timeout 60 python3 editors/test/lsp_smoke.py --config editors/helix/languages.toml \
    --compel "$COMPEL_BIN" --file "$FIXTURE" || true
else
  failed=$((failed + 1))
  failures+=("helix: python3 is needed")
fi

# ---- summary ------------------------------------------------------------------

echo
if [ "$failed" -gt 0 ]; then
  printf 'failed: %s\n' "${failures[@]}"
fi
echo "editors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
