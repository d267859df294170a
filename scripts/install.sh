#!/usr/bin/env bash
# Sets up a development checkout: system fonts (synthetic data, drawn results) and chromium
# (web page test), a virtual environment in .venv and lumenocr with its training/synthesis/test extras.
# Usage: bash scripts/install.sh            (inference + training + tests)
set -euo pipefail
cd "$(dirname "$0")/.."

# chromium: the web page test drives Debian's browser with Playwright (never `playwright install`).
APT_PACKAGES="fonts-noto-cjk fonts-dejavu-core fonts-liberation chromium"
missing=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing) >/dev/null
  else
    echo "note: install$missing (e.g. sudo apt-get install$missing) (fonts: synthetic data and CJK drawing; chromium: the web page test)" >&2
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# torch is pinned to the CPU build in the [train] extra.
.venv/bin/python -m pip install -q -e ".[train,synth,serve,dev,openvino]"
# PP-OCRv4 weights: their carrier wheel wants the GUI opencv-python, so take the files only.
.venv/bin/python -m pip install -q --no-deps "rapidocr-onnxruntime==1.4.4"
echo "lumenocr installed in .venv"
