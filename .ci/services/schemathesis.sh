#!/usr/bin/env bash
# schemathesis (PyPI, pinned) for the server's API fuzz test
# (crates/fitview-server/tests/server/schemathesis.rs): installs it if missing and tells the test where
# its command is.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=4.32.5
SCRIPTS=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
if [ "$("$SCRIPTS/schemathesis" --version 2>/dev/null || true)" != "schemathesis, version $VERSION" ]; then
  python3 -m pip install --quiet "schemathesis==$VERSION"
fi
"$SCRIPTS/schemathesis" --version >/dev/null
echo "FITVIEW_SCHEMATHESIS=$SCRIPTS/schemathesis" >> .ci/services.env
