#!/usr/bin/env bash
# Headless Chromium for the batch gallery test (crates/fitview-cli/tests/batch_gallery.rs).
# Installs Debian's `chromium` if missing and tells the tests where it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
echo "FITVIEW_CHROMIUM=$(command -v chromium)" >> .ci/services.env
