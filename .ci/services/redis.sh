#!/usr/bin/env bash
# Redis for the shared cache layer's tests (fitview-engine feature `redis`,
# crates/fitview-engine/tests/redis.rs, crates/fitview-cli/tests/cli/cache.rs).
# Starts redis-server (installed by .ci/debian-packages.sh) on 127.0.0.1:6379 (unless one answers
# there already) and tells the tests where it is. The tests that kill Redis start their own.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes
fi
for _ in $(seq 1 50); do
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null
{
  echo "FITVIEW_TEST_REDIS_URL=redis://127.0.0.1:6379/"
  echo "FITVIEW_REDIS_SERVER=$(command -v redis-server)"
} >> .ci/services.env
