#!/usr/bin/env bash
# Builds llama-cpp-python once and keeps the wheel in a cache outside the checkout, so the slow
# suite against a real OpenAI-compatible server does not recompile llama.cpp (≈7 min) every run.
# Prints the wheel's path.
set -euo pipefail
version="${LLAMA_CPP_VERSION:-0.3.36}"
cache="${MEMOAI_CACHE_DIR:-$HOME/.cache/memoai}/wheels"
mkdir -p "$cache"
wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
  python="${PYTHON:-python3}"
  echo "building llama-cpp-python $version (first time on this machine, several minutes)" >&2
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$python" -m pip wheel --no-deps --quiet \
    "llama-cpp-python==$version" -w "$cache" >&2
  wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl | head -n 1)
fi
echo "$wheel"
