#!/usr/bin/env bash
# Fails when the code, tests, README, docs or stacks cite captures/NN or /work/shared, or a docs/tdengine.md
# anchor that does not exist. See scripts/check-citations.mjs.
exec node "$(dirname "$0")/check-citations.mjs" "$@"
