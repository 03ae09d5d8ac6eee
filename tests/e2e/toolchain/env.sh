# shellcheck shell=bash
# Source this file (after build.sh has run) to use the e2e toolchain:
#   source tests/e2e/toolchain/env.sh
# It only sets environment variables; it builds nothing.
#
# Pulumi finds its plugins on PATH ("ambient" plugins): pulumi-language-nodejs
# and pulumi-resource-pulumi-nodejs are also found next to the pulumi binary,
# and pulumi-resource-kubernetes is taken from PATH whatever version the
# program asks for (the engine warns "using pulumi-resource-kubernetes from
# $PATH"). To avoid that, set PULUMI_IGNORE_AMBIENT_PLUGINS=true and link
# "$PULUMI_TDENGINE_TOOLCHAIN"/pulumi-home/plugins/* into "$PULUMI_HOME"/plugins/
# (cp -al), see README.md.

_tc_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$_tc_here/versions.sh"
unset _tc_here

export PULUMI_TDENGINE_TOOLCHAIN=${PULUMI_TDENGINE_TOOLCHAIN:-$HOME/.cache/pulumi-tdengine-toolchain}
case ":$PATH:" in
  *":$PULUMI_TDENGINE_TOOLCHAIN/bin:"*) ;;
  *) export PATH="$PULUMI_TDENGINE_TOOLCHAIN/bin:$PATH" ;;
esac

# No network beyond package registries: never check for CLI updates, and fail
# fast instead of trying to download a missing plugin from GitHub.
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

# kwokctl --runtime binary: use the binaries built here instead of downloading.
export KWOK_RUNTIME=${KWOK_RUNTIME:-binary}
export KWOK_KUBE_VERSION=$KUBERNETES_VERSION
export KWOK_KUBE_APISERVER_BINARY=$PULUMI_TDENGINE_TOOLCHAIN/bin/kube-apiserver
export KWOK_KUBE_CONTROLLER_MANAGER_BINARY=$PULUMI_TDENGINE_TOOLCHAIN/bin/kube-controller-manager
export KWOK_KUBE_SCHEDULER_BINARY=$PULUMI_TDENGINE_TOOLCHAIN/bin/kube-scheduler
export KWOK_ETCD_BINARY=$PULUMI_TDENGINE_TOOLCHAIN/bin/etcd
export KWOK_CONTROLLER_BINARY=$PULUMI_TDENGINE_TOOLCHAIN/bin/kwok
