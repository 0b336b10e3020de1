#!/usr/bin/env bash
# Installs the Debian packages the test suites drive for real: nginx (production proxy),
# Chromium (browser tests), docker-compose (compose file validation without an engine),
# poppler-utils (PDF to PNG/text), prometheus (promtool for the alert rules), the Noto fonts
# the PDF report draws every script and emoji with (core, CJK, colour emoji),
# e2fsprogs and mount (the storage tests: chattr +i, a small tmpfs filled up), age (opens a
# backup as an operator would), curl (scripts/rolling-restart.sh natively).
# Skips what is already there, so a warm machine pays nothing.
set -euo pipefail
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
# kubectl renders the Kubernetes overlays (tests/deploy/test_kubernetes*.py) with its built-in
# Kustomize, which must be v5 or newer. Debian 12's own kubectl (package kubernetes-client) is
# 1.20 with Kustomize v2, too old; this project's machine images come with Kubernetes' package
# `kubectl` (1.32, Kustomize v5.5). Where it is missing and an apt source offers it, install
# it; otherwise say so: the Kubernetes tests then skip, naming the reason.
if ! command -v kubectl >/dev/null 2>&1; then
  if apt-cache policy kubectl 2>/dev/null | grep -q 'Candidate: [0-9]'; then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends kubectl >/dev/null
  else
    echo "kubectl (Kustomize v5) is not installed and no apt source offers it: add Kubernetes'" \
         "own apt repository and install its package kubectl" >&2
  fi
fi
packages=(nginx chromium docker-compose poppler-utils prometheus fonts-dejavu-core fonts-noto-cjk
          fonts-noto-core fonts-noto-color-emoji postgresql-client openssl e2fsprogs mount age curl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Services must not start during install: the tests start nginx and friends themselves.
printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
$sudo chmod +x /usr/sbin/policy-rc.d
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
$sudo rm -f /usr/sbin/policy-rc.d
