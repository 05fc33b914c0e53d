#!/usr/bin/env bash
# Remakes the screenshots of editors/README.md: photographs of the extension
# in a real VS Code (code-server in Chromium), taken by the code-server test
# of editors/test.sh (editors/vscode/test/code-server.test.js) as it goes:
# diagnostic.png, hover.png, completion.png, evaluate.png.
#
#   editors/screenshots/make.sh [--install]
#
# --install installs what the test needs (see editors/test.sh), and the
# emoji font the eval report's status marks are drawn with.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "${1:-}" = --install ] && ! fc-list 2>/dev/null | grep -qi 'color emoji'; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-noto-color-emoji >/dev/null
fi
COMPEL_SCREENSHOTS="$PWD/editors/screenshots" bash editors/test.sh "$@" vscode
ls -l editors/screenshots/*.png
