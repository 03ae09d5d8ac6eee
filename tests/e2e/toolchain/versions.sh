# shellcheck shell=bash
# Pinned versions of the e2e toolchain: the single place to change them.
# Sourced by build.sh and env.sh. After changing a Go module version here, run
#   tests/e2e/toolchain/build.sh --update-modules
# to rewrite modules/*/go.mod and go.sum, and commit the result.

# Pulumi CLI: github.com/pulumi/pulumi/pkg/v3 (+ sdk/v3 at the same version).
# Matches the npm package @pulumi/pulumi pinned by the project.
PULUMI_VERSION=v3.248.0

# Node.js language host. Its own module
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not
# served by the Go module proxy at any version; sdk/v3 v3.68.0 is the newest
# sdk/v3 release whose module zip still contains nodejs/cmd/pulumi-language-nodejs.
PULUMI_LANGUAGE_NODEJS_SDK_VERSION=v3.68.0

# Kubernetes provider plugin. The npm SDK @pulumi/kubernetes is 4.34.2, but for
# github.com/pulumi/pulumi-kubernetes/provider/v4 the Go module proxy lists no
# tagged version, refuses v4.34.2 and pseudo-versions of the v4.3x release
# commits, and serves exactly one pseudo-version: commit f47bc2d6f199 of
# 2026-01-15, a day before the v4.25.0 tag (its go.mod: sdk/v4 v4.24.0,
# client-go v0.33.3, pulumi v3.215.0). That is what gets built.
KUBERNETES_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
# Version the binary reports (GetPluginInfo, embedded schema, user agent).
# The engine warns on every run when it is lower than what the SDK asks for
# ("resource plugin kubernetes is expected to have version >=4.34.2, but has
# ..."), so it is the SDK's version, with the commit actually built as semver
# build metadata (ignored in version comparisons).
KUBERNETES_PROVIDER_VERSION=4.34.2+f47bc2d6f199
# The plugin version the npm SDK asks the engine for; build.sh installs the
# binary as plugins/resource-kubernetes-v<this>/ under $CACHE/pulumi-home.
KUBERNETES_PROVIDER_PLUGIN_VERSION=4.34.2

# Kubernetes control plane (kube-apiserver, kube-controller-manager, kube-scheduler).
# 1.37 needs Go 1.27 (structured-merge-diff/v7); 1.36.x builds with Go 1.26.
KUBERNETES_VERSION=v1.36.3

# etcd server (go.etcd.io/etcd/server/v3).
ETCD_VERSION=v3.6.16

# kwok / kwokctl (sigs.k8s.io/kwok).
KWOK_VERSION=v0.8.0
