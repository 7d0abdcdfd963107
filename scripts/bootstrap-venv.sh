#!/usr/bin/env bash
# Create .venv with Python >= 3.11 and install clausewatch with its test tools.
# On Debian/Ubuntu as root, installs python3-venv when the interpreter lacks ensurepip.
set -euo pipefail
PY="${PYTHON:-python3}"
VENV="${VENV:-.venv}"

if ! command -v "$PY" >/dev/null 2>&1; then
  echo "error: $PY not found: install Python 3.11 or newer (apt-get install python3)" >&2
  exit 2
fi
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: clausewatch needs Python >= 3.11; $PY is $("$PY" -V 2>&1). Set PYTHON=python3.11 or newer." >&2
  exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PY" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      ver=$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt-get update -qq
      apt-get install -y -qq "python${ver}-venv" || apt-get install -y -qq python3-venv
      "$PY" -m venv "$VENV"
    else
      echo "error: '$PY -m venv' failed: install the venv module (apt-get install python3-venv) and retry" >&2
      exit 2
    fi
  fi
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[dev]'
