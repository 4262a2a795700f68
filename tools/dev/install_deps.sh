#!/usr/bin/env bash
# Installs everything binq needs on Debian 12; safe to run again (each step is
# skipped when already satisfied).
#  * Debian packages: compilers (clang for the thread-safety check), CMake/Ninja,
#    gRPC/protobuf, abseil, spdlog, fmt, GoogleTest, CLI11, nlohmann-json, SQLite,
#    zlib, SentencePiece (LLaMA/Gemma tokenizer.model, reference in a test) and ICU
#    (NFC for Qwen2's tokenizer.json).
#  * LibTorch from the official `torch` wheel on PyPI, pinned, into .venv/
#    (torch 2.11.0: the version our GPU machines run; its wheel is built for CUDA 13.0).
#    Set BINQ_SKIP_TORCH=1 to skip it when you use a standalone LibTorch (Torch_DIR).
#  * For the tests and tools/ scripts, into the same .venv: transformers, tokenizers,
#    safetensors (Hugging Face parity tests, the tiny model's training script).
set -euo pipefail
cd "$(dirname "$0")/../.."

TORCH_VERSION="${BINQ_TORCH_VERSION:-2.11.0}"
# regex: core/text/unicode_tables.inc is generated from it and a test compares.
PY_TEST_PACKAGES=(transformers==5.23.0 tokenizers==0.23.3 safetensors==0.8.0 numpy==2.4.6 regex==2026.11.15)
DEB_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates clang
  python3 python3-venv python3-pip
  libabsl-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev libsqlite3-dev sqlite3
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc libyaml-cpp-dev zlib1g-dev
  libsentencepiece-dev libicu-dev
)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "binq: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${BINQ_SKIP_TORCH:-0}" != 1 ]; then
  if ! .venv/bin/python -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" 2>/dev/null; then
    echo "binq: installing torch==$TORCH_VERSION (LibTorch) into .venv (a few GB, once)"
    PY="$(command -v python3)"
    [ -x .venv/bin/python ] || "$PY" -m venv .venv
    .venv/bin/python -m pip install -q --disable-pip-version-check "torch==$TORCH_VERSION"
  fi
  # A stamp of the pinned list: reinstall only when the pins change.
  if [ "$(cat .venv/.binq-python-packages 2>/dev/null)" != "${PY_TEST_PACKAGES[*]}" ]; then
    echo "binq: installing ${PY_TEST_PACKAGES[*]} into .venv (tests and tools/ scripts)"
    .venv/bin/python -m pip install -q --disable-pip-version-check "${PY_TEST_PACKAGES[@]}"
    echo "${PY_TEST_PACKAGES[*]}" > .venv/.binq-python-packages
  fi
fi
echo "binq: dependencies ready"
