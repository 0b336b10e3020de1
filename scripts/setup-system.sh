#!/usr/bin/env bash
# Installs the Debian packages the test suites drive for real: nginx (production proxy),
# Chromium (browser tests), docker-compose (compose file validation without an engine),
# poppler-utils (PDF to PNG/text), prometheus (promtool for the alert rules), fonts for PDFs.
# Skips what is already there, so a warm machine pays nothing.
set -euo pipefail
packages=(nginx chromium docker-compose poppler-utils prometheus fonts-dejavu-core fonts-noto-cjk
          postgresql-client openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Services must not start during install: the tests start nginx and friends themselves.
printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
$sudo chmod +x /usr/sbin/policy-rc.d
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
$sudo rm -f /usr/sbin/policy-rc.d
