#!/usr/bin/env bash
# The official Python SDKs for the SDK oracles (crates/fitview-fakes/tests/fakes/sdk_oracles.rs runs
# crates/fitview-fakes/oracles/*.py against the Gemini, xAI and FASHN fakes): google-genai, openai and fashn
# from PyPI, pinned to the versions the oracles were written against; and standardwebhooks, the
# specification's reference library, which verifies the server's webhook signatures
# (crates/fitview-server/tests/server/webhooks/). Installs them if missing and tells the tests
# which python3 has them.
set -euo pipefail
cd "$(dirname "$0")/../.."
GOOGLE_GENAI_VERSION=3.6.1
OPENAI_VERSION=3.57.0
FASHN_VERSION=0.9.0
STANDARDWEBHOOKS_VERSION=1.1.0
if ! python3 - "$GOOGLE_GENAI_VERSION" "$OPENAI_VERSION" "$FASHN_VERSION" \
  "$STANDARDWEBHOOKS_VERSION" >/dev/null 2>&1 <<'PY'
import sys
from importlib.metadata import version
wanted = tuple(sys.argv[1:5])
names = ("google-genai", "openai", "fashn", "standardwebhooks")
sys.exit(0 if tuple(version(n) for n in names) == wanted else 1)
PY
then
  python3 -m pip install --quiet "google-genai==$GOOGLE_GENAI_VERSION" "openai==$OPENAI_VERSION" \
    "fashn==$FASHN_VERSION" "standardwebhooks==$STANDARDWEBHOOKS_VERSION"
fi
python3 -c 'import google.genai, openai, fashn, standardwebhooks' >/dev/null
echo "FITVIEW_PYTHON_SDKS=$(command -v python3)" >> .ci/services.env
