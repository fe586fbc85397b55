#!/usr/bin/env bash
# Headless Chromium for the batch gallery test (crates/fitview-cli/tests/batch_gallery.rs).
# Chromium itself comes from .ci/debian-packages.sh; this tells the tests where it is.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "FITVIEW_CHROMIUM=$(command -v chromium)" >> .ci/services.env
