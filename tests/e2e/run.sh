#!/usr/bin/env bash
# The end-to-end suite: builds (or reuses) the toolchain, then runs the e2e specs with the real Pulumi CLI
# against a local kube-apiserver. Usage: npm run test:e2e [-- mocha flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tests/e2e/toolchain/build.sh
# shellcheck source=tests/e2e/toolchain/env.sh
source tests/e2e/toolchain/env.sh
exec npx mocha --no-config -r ts-node/register/transpile-only --timeout 1200000 \
  tests/e2e/cluster/local-cluster.test.ts tests/e2e/e2e.test.ts "$@"
