#!/usr/bin/env bash
# npm run bench: a rolling restart under a writer against the TDengine stand-in (tests/bench/rolling-restart.ts),
# then builds (or reuses) the toolchain and times real pulumi runs (tests/e2e/bench.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
node -r ts-node/register/transpile-only tests/bench/rolling-restart.ts
bash tests/e2e/toolchain/build.sh >/dev/null
# shellcheck source=tests/e2e/toolchain/env.sh
source tests/e2e/toolchain/env.sh
exec node -r ts-node/register/transpile-only tests/e2e/bench.ts
