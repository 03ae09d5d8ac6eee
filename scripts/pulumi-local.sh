#!/usr/bin/env bash
# Runs a pulumi command on a stack of this project with a local file backend, so no Pulumi Cloud account
# is needed:   scripts/pulumi-local.sh <up|preview|destroy|...> <stack> [pulumi flags...]
# State lives in $PULUMI_TDENGINE_HOME (default ~/.pulumi-tdengine). Secrets are encrypted with
# PULUMI_CONFIG_PASSPHRASE, or else with a passphrase generated once into that directory.
set -euo pipefail
command_name="${1:?usage: scripts/pulumi-local.sh <command> <stack> [flags...]}"
stack="${2:?usage: scripts/pulumi-local.sh <command> <stack> [flags...]}"
shift 2
cd "$(dirname "$0")/.."

# A cluster must answer before a stack is created or any state is touched (set
# PULUMI_TDENGINE_SKIP_PREFLIGHT=1 to skip, e.g. to destroy a stack whose cluster is gone).
if [ -z "${PULUMI_TDENGINE_SKIP_PREFLIGHT:-}" ]; then
  node scripts/kube-preflight.js "$stack" || exit 1
fi

if ! command -v pulumi >/dev/null 2>&1; then
  toolchain_bin="${PULUMI_TDENGINE_TOOLCHAIN:-$HOME/.cache/pulumi-tdengine-toolchain}/bin"
  if [ -x "$toolchain_bin/pulumi" ]; then
    export PATH="$toolchain_bin:$PATH"
  else
    echo "error: the pulumi CLI is not on PATH. Install it (https://www.pulumi.com/docs/install/)," >&2
    echo "       or build it here with tests/e2e/toolchain/build.sh." >&2
    exit 1
  fi
fi

home="${PULUMI_TDENGINE_HOME:-$HOME/.pulumi-tdengine}"
mkdir -p "$home/state"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$home/state}"
if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  if [ ! -s "$home/passphrase" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 > "$home/passphrase")
    echo "note: generated a passphrase for this machine's local stacks in $home/passphrase" >&2
  fi
  export PULUMI_CONFIG_PASSPHRASE_FILE="$home/passphrase"
fi
export PULUMI_SKIP_UPDATE_CHECK=1

pulumi stack select --create "$stack" --non-interactive >/dev/null
exec pulumi "$command_name" --stack "$stack" "$@"
