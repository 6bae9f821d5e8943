#!/usr/bin/env bash
# The one script that installs the Debian packages the tests need. Idempotent; run as root (or with sudo).
# PostgreSQL: the multi-user backend, the whole suite runs on it too.
# Chromium + chromium-driver: browser tests of the web app. LibreOffice + fonts-liberation2: DOCX -> PDF
# reports (Liberation Serif is metric-compatible with Times New Roman). poppler-utils: PDF -> PNG checks.
set -euo pipefail
PACKAGES=(postgresql postgresql-contrib chromium chromium-driver libreoffice-writer-nogui libreoffice-calc-nogui fonts-liberation2 poppler-utils)
PACKAGES+=(${TINHGON_EXTRA_DEBIAN_PACKAGES:-})
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-debian-deps: all present (${PACKAGES[*]})"
  exit 0
fi
echo "install-debian-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
