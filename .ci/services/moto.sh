#!/usr/bin/env bash
# An S3-compatible server for the result store's S3 tests (fitview-engine feature `s3`):
# moto in server mode from PyPI on 127.0.0.1:5000, with one bucket. object_store reads the
# AWS_* variables below (endpoint, plain HTTP, dummy credentials).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! python3 -c 'import moto.server, flask' >/dev/null 2>&1; then
  python3 -m pip install --quiet 'moto[server]'
fi
PORT=5000
if ! curl -fsS "http://127.0.0.1:$PORT/moto-api/" >/dev/null 2>&1; then
  nohup python3 -m moto.server -H 127.0.0.1 -p "$PORT" >/tmp/fitview-moto.log 2>&1 &
fi
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/moto-api/" >/dev/null 2>&1 && break
  sleep 0.2
done
# Create the bucket (S3 CreateBucket is a plain PUT; moto accepts it unsigned).
curl -fsS -X PUT "http://127.0.0.1:$PORT/fitview-test" >/dev/null
{
  echo "FITVIEW_TEST_S3_URL=s3://fitview-test"
  echo "AWS_ENDPOINT_URL=http://127.0.0.1:$PORT"
  echo "AWS_ALLOW_HTTP=true"
  echo "AWS_ACCESS_KEY_ID=testing"
  echo "AWS_SECRET_ACCESS_KEY=testing"
  echo "AWS_REGION=us-east-1"
} >> .ci/services.env
