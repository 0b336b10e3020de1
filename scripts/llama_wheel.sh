#!/usr/bin/env bash
# Builds llama-cpp-python once and keeps the wheel in a cache outside the checkout, so the slow
# suite against a real OpenAI-compatible server does not recompile llama.cpp (≈7 min) every run.
# Prints the wheel's path. Built portable (GGML_NATIVE=OFF): a native build picks up every
# instruction set the build machine reports (AMX, AVX-512), and on a virtual machine that
# reports AMX without enabling it, the server crashed (SIGSEGV) on its first completion.
set -euo pipefail
version="${LLAMA_CPP_VERSION:-0.3.36}"
cmake_args="${LLAMA_CMAKE_ARGS:--DGGML_NATIVE=OFF}"
flavour=$(printf '%s' "$cmake_args" | sha256sum | cut -c1-12)
cache="${MEMOAI_CACHE_DIR:-$HOME/.cache/memoai}/wheels/$flavour"
mkdir -p "$cache"
wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -n 1 || true)
if [ -z "$wheel" ]; then
  python="${PYTHON:-python3}"
  echo "building llama-cpp-python $version (first time on this machine, several minutes)" >&2
  CMAKE_ARGS="$cmake_args" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" "$python" -m pip wheel --no-deps --no-cache-dir --quiet \
    "llama-cpp-python==$version" -w "$cache" >&2
  wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl | head -n 1)
fi
echo "$wheel"
