#!/usr/bin/env bash
# Remakes the screenshots of editors/README.md: pages rendered by render.js
# (the extension's TextMate grammar in Dark+ colours, and the diagnostics of
# the real `compel lsp`), photographed by headless Chromium.
# Needs: editors/vscode/node_modules (npm ci), chromium, target/debug/compel.
set -euo pipefail
cd "$(dirname "$0")/../.."
COMPEL_BIN=${COMPEL_BIN:-target/debug/compel}
out=editors/screenshots
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shoot() { # HTML PNG WIDTH HEIGHT
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size="$3,$4" --screenshot="$PWD/$2" "file://$1" >/dev/null 2>&1
  echo "wrote $2"
}

node $out/render.js examples/acme/acme.compel "$tmp/highlighting.html" --lines 32-85 --title acme.compel
shoot "$tmp/highlighting.html" $out/highlighting.png 820 1150

cp editors/neovim/test/fixtures/misspelt.compel "$tmp/misspelt.compel"
node $out/render.js "$tmp/misspelt.compel" "$tmp/diagnostic.html" --lines 9-21 --lsp "$COMPEL_BIN" --title misspelt.compel
shoot "$tmp/diagnostic.html" $out/diagnostic.png 820 540
