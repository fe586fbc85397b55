#!/usr/bin/env bash
# Headless Chromium for the batch gallery test (crates/fitview-cli/tests/cli/batch_gallery.rs) and
# the storefront's browser journey (crates/fitview-server/tests/server/storefront/browser.rs, through
# chromedriver). Both come from .ci/debian-packages.sh; this tells the tests where they are.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "FITVIEW_CHROMIUM=$(command -v chromium)" >> .ci/services.env
echo "FITVIEW_CHROMEDRIVER=$(command -v chromedriver)" >> .ci/services.env
