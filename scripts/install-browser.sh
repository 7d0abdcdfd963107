#!/usr/bin/env bash
# Find or install a Chromium for Playwright, in this order:
#   1. CLAUSEWATCH_CHROMIUM, Playwright's own build, or a system chromium already present;
#   2. `playwright install chromium` (downloads Playwright's build where the network allows);
#   3. Debian/Ubuntu's `chromium` package via apt-get, when running as root;
#   4. otherwise: a message saying what to install.
set -uo pipefail
VENV="${VENV:-.venv}"
have() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null
from clausewatch.pipeline.capture import find_chromium
found = find_chromium()
print(found or "Playwright's own Chromium")
PY
}
if where=$(have); then echo "browser: $where"; exit 0; fi

deps=""
[ "$(id -u)" = 0 ] && deps="--with-deps"
echo "browser: trying 'playwright install $deps chromium'"
if timeout 600 "$VENV/bin/playwright" install $deps chromium >/tmp/clausewatch-playwright-install.log 2>&1 \
   && where=$(have); then
  echo "browser: $where"; exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "browser: Playwright's download is not reachable; installing Debian's chromium with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-browser >/dev/null
  if where=$(have); then echo "browser: $where"; exit 0; fi
fi
echo "error: no Chromium: run as root so apt-get can install 'chromium', or install it yourself" \
     "(apt-get install chromium), or set CLAUSEWATCH_CHROMIUM to a Chromium executable" >&2
exit 2
