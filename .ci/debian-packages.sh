#!/usr/bin/env bash
# Installs the Debian packages the CI services need, with one `apt-get update`, and only when
# something is missing (a machine that has them all touches no network).
set -euo pipefail
PACKAGES=(chromium chromium-driver fonts-dejavu-core redis-server postgresql poppler-utils)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
