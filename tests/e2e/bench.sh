#!/usr/bin/env bash
# npm run bench: builds (or reuses) the toolchain, then times real pulumi runs (tests/e2e/bench.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/e2e/toolchain/build.sh >/dev/null
# shellcheck source=tests/e2e/toolchain/env.sh
source tests/e2e/toolchain/env.sh
exec node -r ts-node/register/transpile-only tests/e2e/bench.ts
