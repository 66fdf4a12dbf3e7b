#!/usr/bin/env bash
# Installs everything IRIS needs on a fresh machine: Debian packages, a .venv with the pinned Python
# dependencies (CPU-only torch), the project itself, and the models (`iris setup`, offline).
# Idempotent: a second run only checks. Usage: bash scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa fonts-dejavu-core docker-compose)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[install] Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "[install] missing Debian packages (install them as root): ${missing[*]}" >&2
  fi
fi

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv

# Reinstall the dependencies only when pyproject.toml changed since the last successful install.
stamp=.venv/.iris-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[install] Python dependencies into .venv (a few minutes on first run) ..."
  .venv/bin/python -m pip install -q --upgrade pip
  # One pip command for torch and open-clip-torch keeps torch on its CPU build (see README, Installing).
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
fi

echo "[install] models (offline) ..."
.venv/bin/iris setup
