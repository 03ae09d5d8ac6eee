#!/usr/bin/env bash
# Builds the e2e toolchain from Go modules (Go module proxy only, no release
# downloads) into a cache directory outside the repository:
#   pulumi, pulumi-language-nodejs, pulumi-resource-pulumi-nodejs (script),
#   pulumi-resource-kubernetes, etcd, kube-apiserver, kube-controller-manager,
#   kube-scheduler, kwok, kwokctl
# Versions: versions.sh. Module requirements and hashes: modules/*/go.{mod,sum}.
#
# Usage:
#   tests/e2e/toolchain/build.sh                  build what is missing or stale
#   tests/e2e/toolchain/build.sh --force          rebuild everything
#   tests/e2e/toolchain/build.sh TARGET...        only these targets
#   tests/e2e/toolchain/build.sh --update-modules rewrite modules/*/go.{mod,sum}
#                                                 from versions.sh (maintainers)
# Targets: pulumi pulumi-language-nodejs pulumi-resource-kubernetes kubernetes etcd kwok
#
# Environment:
#   PULUMI_TDENGINE_TOOLCHAIN  cache dir (default ~/.cache/pulumi-tdengine-toolchain)
#   TOOLCHAIN_GOMODCACHE       Go module cache (default $CACHE/go/mod)
#   TOOLCHAIN_GOCACHE          Go build cache  (default $CACHE/go/build)
#   TOOLCHAIN_GO_PARALLEL      go build -p     (default 2)
#   TOOLCHAIN_KEEP_GO_CACHES=1 keep the Go build cache and extracted modules
#                              (by default pruned after a successful run)
#
# Progress goes to stderr; the last line on stdout is the bin directory.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.sh
source "$HERE/versions.sh"

# Bump to force a rebuild of every target when the build recipe changes.
RECIPE_REVISION=1

CACHE=${PULUMI_TDENGINE_TOOLCHAIN:-$HOME/.cache/pulumi-tdengine-toolchain}
BIN=$CACHE/bin
STAMPS=$CACHE/stamps
WORK=$CACHE/work
PLUGINS=$CACHE/pulumi-home/plugins

export GOMODCACHE=${TOOLCHAIN_GOMODCACHE:-$CACHE/go/mod}
export GOCACHE=${TOOLCHAIN_GOCACHE:-$CACHE/go/build}
export GOTOOLCHAIN=local
export GOWORK=off
export CGO_ENABLED=0
# -modcacherw: module cache files stay writable, so `rm -rf $CACHE` works.
export GOFLAGS="-modcacherw -buildvcs=false"
PARALLEL=${TOOLCHAIN_GO_PARALLEL:-2}

log() { printf '[toolchain] %s\n' "$*" >&2; }
die() { printf '[toolchain] ERROR: %s\n' "$*" >&2; exit 1; }

CURRENT_STEP=""
on_exit() {
  local rc=$?
  if [[ $rc != 0 && -n "$CURRENT_STEP" ]]; then
    printf '[toolchain] ERROR: %s failed (exit %s); see the output above.\n' "$CURRENT_STEP" "$rc" >&2
  fi
  exit "$rc"
}
trap on_exit EXIT

command -v go >/dev/null || die "go is not on PATH (Go >= 1.26 is needed)"
GO_VERSION=$(go env GOVERSION)

# --- helpers -----------------------------------------------------------------

# Runs go in a copy of modules/NAME (go.mod + go.sum) under $WORK/NAME.
# Building from a copy keeps the repository untouched; -mod=readonly makes the
# build fail instead of silently changing requirements or hashes.
prepare_workdir() { # NAME
  local name=$1 dir=$WORK/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$HERE/modules/$name/go.mod" "$HERE/modules/$name/go.sum" "$dir/"
  printf '%s\n' "$dir"
}

# Directory of a module in the module cache (downloads it if needed).
module_dir() { # MODULE@VERSION
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

# Path of a module version's go.mod in the module cache.
module_gomod() { # MODULE@VERSION
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p'
}

# Copies a module's own replace directives into our wrapper go.mod, except those pointing at sibling
# directories (`=> ../x`), which only resolve inside the upstream repository.
append_published_replaces() { # DIR MODULE@VERSION
  local gomod
  gomod=$(cd "$1" && module_gomod "$2")
  grep '^replace ' "$gomod" | grep -v '=> \.' >>"$1/go.mod" || true
}

# VCS commit of a module version as the proxy reports it ("" if unknown).
module_commit() { # MODULE@VERSION
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{40\}\)".*$/\1/p' | head -n1
}

# Commit time of a module version, RFC 3339 (UTC).
module_time() { # MODULE@VERSION
  local info
  info=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Info": "\(.*\)",$/\1/p')
  sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$info" | head -n1
}

gobuild() { # OUTPUT LDFLAGS PACKAGE
  go build -mod=readonly -trimpath -p "$PARALLEL" -ldflags "-s -w $2" -o "$1" "$3"
}

# The key covers the recipe (the target's build function as bash prints it,
# and gobuild), the Go version, the pinned versions and the module files.
stamp_key() { # NAME EXTRA...
  local name=$1
  shift
  {
    echo "recipe=$RECIPE_REVISION go=$GO_VERSION target=$name"
    declare -f gobuild "build_${name//-/_}"
    printf '%s\n' "$@"
    cat "$HERE/modules/$name/go.mod" "$HERE/modules/$name/go.sum"
  } | sha256sum | cut -d' ' -f1
}

# up_to_date NAME KEY OUTPUTS...: stamp matches and every output exists.
up_to_date() {
  local name=$1 key=$2 f
  shift 2
  [[ -f "$STAMPS/$name" ]] || return 1
  [[ "$(sed -n 's/^key=//p' "$STAMPS/$name")" == "$key" ]] || return 1
  for f in "$@"; do [[ -x "$BIN/$f" ]] || return 1; done
  return 0
}

write_stamp() { # NAME KEY VERSION
  printf 'key=%s\nversion=%s\nbuilt=%s\n' "$2" "$3" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$STAMPS/$1"
}

TOTAL_START=$SECONDS
SUMMARY=()
FORCE=0

# run_target NAME VERSION KEY OUTPUTS... -- runs build_NAME when stale.
run_target() {
  local name=$1 version=$2 key=$3 t0
  shift 3
  if [[ $FORCE == 0 ]] && up_to_date "$name" "$key" "$@"; then
    log "$name $version: up to date, skipped"
    SUMMARY+=("$name $version: skipped")
    return 0
  fi
  log "$name $version: building ($*)"
  t0=$SECONDS
  rm -f "$STAMPS/$name"
  CURRENT_STEP="build of $name $version"
  "build_${name//-/_}"
  CURRENT_STEP=""
  local f
  for f in "$@"; do [[ -x "$BIN/$f" ]] || die "$name: $BIN/$f was not produced"; done
  write_stamp "$name" "$key" "$version"
  log "$name $version: built in $((SECONDS - t0))s"
  SUMMARY+=("$name $version: built in $((SECONDS - t0))s")
}

# Installs a freshly built file into $BIN atomically.
install_bin() { # SRC NAME
  install -m 0755 "$1" "$BIN/.$2.tmp"
  mv -f "$BIN/.$2.tmp" "$BIN/$2"
}

# --- targets -----------------------------------------------------------------

# Pulumi CLI. github.com/pulumi/pulumi/pkg/v3 replaces sdk/v3 with ../sdk, so
# `go install ...@version` refuses it. modules/pulumi requires pkg/v3 and
# sdk/v3 at the same version (and copies pkg's clipboard replace) and builds
# the main package straight from the dependency.
key_pulumi() { stamp_key pulumi "$PULUMI_VERSION"; }
build_pulumi() {
  local dir sdk
  dir=$(prepare_workdir pulumi)
  (
    cd "$dir"
    gobuild "$dir/pulumi" "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    # Dynamic providers (pulumi.dynamic.Resource) run through the bundled
    # plugin pulumi-resource-pulumi-nodejs, a shell script shipped next to
    # the CLI; it is part of the sdk/v3 module.
    sdk=$(module_dir "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION")
    install_bin "$dir/pulumi" pulumi
    install_bin "$sdk/nodejs/dist/pulumi-resource-pulumi-nodejs" pulumi-resource-pulumi-nodejs
  )
}

# Node.js language host, built from the sdk/v3 module (see versions.sh).
key_pulumi_language_nodejs() { stamp_key pulumi-language-nodejs "$PULUMI_LANGUAGE_NODEJS_SDK_VERSION"; }
build_pulumi_language_nodejs() {
  local dir
  dir=$(prepare_workdir pulumi-language-nodejs)
  (
    cd "$dir"
    gobuild "$dir/pulumi-language-nodejs" \
      "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_LANGUAGE_NODEJS_SDK_VERSION" \
      github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs
    install_bin "$dir/pulumi-language-nodejs" pulumi-language-nodejs
  )
}

# Kubernetes provider. Its main package embeds schema-embed.json and
# terraform-mapping-embed.json, which the upstream Makefile generates with
# `VERSION=x go generate` (generate.go) before `go build`; they are not in the
# module zip, so the package cannot be built from the module cache as is.
# Here: copy main.go, generate.go, schema.json and terraform-mapping.json from
# the module cache into the work dir, run generate.go the same way (as package
# ./gen, since it is a //go:build ignore file), then build with the version
# ldflag the Makefile uses.
KUBERNETES_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
key_pulumi_resource_kubernetes() {
  stamp_key pulumi-resource-kubernetes "$KUBERNETES_PROVIDER_MODULE_VERSION" "$KUBERNETES_PROVIDER_VERSION" \
    "$KUBERNETES_PROVIDER_PLUGIN_VERSION"
}
stage_kubernetes_provider() { # DIR: copies the provider's main package into DIR
  local dir=$1 src
  src=$(cd "$dir" && module_dir "$KUBERNETES_PROVIDER_MODULE@$KUBERNETES_PROVIDER_MODULE_VERSION")
  src=$src/cmd/pulumi-resource-kubernetes
  [[ -f "$src/main.go" ]] || die "no main.go in $src"
  install -m 0644 "$src/main.go" "$src/schema.json" "$src/terraform-mapping.json" "$dir/"
  mkdir -p "$dir/gen"
  grep -v -e '^//go:build ignore' -e '^// +build ignore' "$src/generate.go" >"$dir/gen/main.go"
  # main.go embeds the generated files; placeholders let `go mod tidy` load it.
  [[ -f "$dir/schema-embed.json" ]] || echo '{}' >"$dir/schema-embed.json"
  [[ -f "$dir/terraform-mapping-embed.json" ]] || echo '{}' >"$dir/terraform-mapping-embed.json"
}
build_pulumi_resource_kubernetes() {
  local dir plugin_dir
  dir=$(prepare_workdir pulumi-resource-kubernetes)
  stage_kubernetes_provider "$dir"
  (
    cd "$dir"
    rm -f schema-embed.json terraform-mapping-embed.json
    VERSION=$KUBERNETES_PROVIDER_VERSION go run -mod=readonly -trimpath ./gen
    [[ -s schema-embed.json && -s terraform-mapping-embed.json ]] || die "generate.go produced no embed files"
    gobuild "$dir/pulumi-resource-kubernetes" \
      "-X $KUBERNETES_PROVIDER_MODULE/pkg/version.Version=$KUBERNETES_PROVIDER_VERSION" .
    install_bin "$dir/pulumi-resource-kubernetes" pulumi-resource-kubernetes
  )
  # Also lay it out as an installed plugin (a hard link, no extra space), for
  # runs with PULUMI_IGNORE_AMBIENT_PLUGINS set: copy or link
  # $CACHE/pulumi-home/plugins/* into $PULUMI_HOME/plugins/ (see README.md).
  plugin_dir=$PLUGINS/resource-kubernetes-v$KUBERNETES_PROVIDER_PLUGIN_VERSION
  rm -rf "$PLUGINS"/resource-kubernetes-v*
  mkdir -p "$plugin_dir"
  ln -f "$BIN/pulumi-resource-kubernetes" "$plugin_dir/pulumi-resource-kubernetes" 2>/dev/null ||
    cp "$BIN/pulumi-resource-kubernetes" "$plugin_dir/pulumi-resource-kubernetes"
}

# Kubernetes control plane. k8s.io/kubernetes requires its staging modules
# (k8s.io/api, ...) at v0.0.0 and replaces them with ./staging/src/...;
# modules/kubernetes replaces each with the published v0.X.Y of the same
# release. Version variables are set like hack/lib/version.sh does, so the
# apiserver reports the real version instead of v0.0.0-master.
key_kubernetes() { stamp_key kubernetes "$KUBERNETES_VERSION"; }
build_kubernetes() {
  local dir commit date minor ldflags pkg bin t0 v
  dir=$(prepare_workdir kubernetes)
  (
    cd "$dir"
    commit=$(module_commit "k8s.io/kubernetes@$KUBERNETES_VERSION")
    date=$(module_time "k8s.io/kubernetes@$KUBERNETES_VERSION")
    v=${KUBERNETES_VERSION#v}
    minor=${v#*.}
    minor=${minor%%.*}
    ldflags=""
    for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
      ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=${v%%.*} -X $pkg.gitMinor=$minor"
      ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=${date:-1970-01-01T00:00:00Z}"
      # The proxy gives no commit for k8s.io/kubernetes; an empty gitCommit
      # beats the "$Format:%H$" placeholder.
      ldflags+=" -X $pkg.gitCommit=$commit"
    done
    for bin in kube-apiserver kube-controller-manager kube-scheduler; do
      t0=$SECONDS
      gobuild "$dir/$bin" "$ldflags" "k8s.io/kubernetes/cmd/$bin"
      install_bin "$dir/$bin" "$bin"
      log "  $bin: ${KUBERNETES_VERSION} in $((SECONDS - t0))s"
    done
  )
}

# etcd: the binary is the main package at the root of go.etcd.io/etcd/server/v3,
# whose go.mod replaces the other etcd modules with ../ paths.
key_etcd() { stamp_key etcd "$ETCD_VERSION"; }
build_etcd() {
  local dir commit ldflags=""
  dir=$(prepare_workdir etcd)
  (
    cd "$dir"
    commit=$(module_commit "go.etcd.io/etcd/server/v3@$ETCD_VERSION")
    [[ -z "$commit" ]] || ldflags="-X go.etcd.io/etcd/api/v3/version.GitSHA=${commit:0:9}"
    gobuild "$dir/etcd" "$ldflags" go.etcd.io/etcd/server/v3
    install_bin "$dir/etcd" etcd
  )
}

# kwok and kwokctl (plain modules; built from a module of ours for go.sum pinning).
# kwokctl's default Kubernetes version is set to the one built above.
key_kwok() { stamp_key kwok "$KWOK_VERSION" "$KUBERNETES_VERSION"; }
build_kwok() {
  local dir bin t0
  dir=$(prepare_workdir kwok)
  (
    cd "$dir"
    for bin in kwok kwokctl; do
      t0=$SECONDS
      gobuild "$dir/$bin" "-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${KUBERNETES_VERSION#v}" \
        "sigs.k8s.io/kwok/cmd/$bin"
      install_bin "$dir/$bin" "$bin"
      log "  $bin: $KWOK_VERSION in $((SECONDS - t0))s"
    done
  )
}

# After a successful build the Go caches are only needed to rebuild after a
# version change. The build cache (~9 GB after a cold build) is removed, and
# so are the extracted module trees (~2.6 GB); the downloaded module zips
# (~0.6 GB) are kept, so a rebuild needs no network. Only caches under $CACHE
# are touched; TOOLCHAIN_KEEP_GO_CACHES=1 keeps everything.
prune_go_caches() {
  [[ "${TOOLCHAIN_KEEP_GO_CACHES:-0}" != 1 ]] || return 0
  if [[ "$GOCACHE" == "$CACHE"/* && -d "$GOCACHE" ]]; then
    rm -rf "$GOCACHE"
  fi
  if [[ "$GOMODCACHE" == "$CACHE"/* && -d "$GOMODCACHE" ]]; then
    find "$GOMODCACHE" -mindepth 1 -maxdepth 1 ! -name cache -exec rm -rf {} +
    rm -rf "$GOMODCACHE/cache/vcs"
  fi
}

# --- module maintenance (--update-modules) -----------------------------------

write_gomod() { # NAME: writes $WORK/NAME/go.mod from versions.sh
  local name=$1 dir=$WORK/$1 stage m
  rm -rf "$dir"
  mkdir -p "$dir"
  case $name in
    pulumi)
      cat >"$dir/go.mod" <<EOF
module pulumi-tdengine/toolchain/pulumi

go 1.26.0

tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_VERSION
)
EOF
      # pkg/v3's own replaces, minus the ../sdk one.
      append_published_replaces "$dir" "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION"
      ;;
    pulumi-language-nodejs)
      cat >"$dir/go.mod" <<EOF
module pulumi-tdengine/toolchain/pulumi-language-nodejs

go 1.26.0

tool github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs

require github.com/pulumi/pulumi/sdk/v3 $PULUMI_LANGUAGE_NODEJS_SDK_VERSION
EOF
      append_published_replaces "$dir" "github.com/pulumi/pulumi/sdk/v3@$PULUMI_LANGUAGE_NODEJS_SDK_VERSION"
      ;;
    pulumi-resource-kubernetes)
      cat >"$dir/go.mod" <<EOF
module pulumi-tdengine/toolchain/pulumi-resource-kubernetes

go 1.26.0

require $KUBERNETES_PROVIDER_MODULE $KUBERNETES_PROVIDER_MODULE_VERSION
EOF
      append_published_replaces "$dir" "$KUBERNETES_PROVIDER_MODULE@$KUBERNETES_PROVIDER_MODULE_VERSION"
      stage_kubernetes_provider "$dir"
      ;;
    kubernetes)
      cat >"$dir/go.mod" <<EOF
module pulumi-tdengine/toolchain/kubernetes

go 1.26.0

tool (
	k8s.io/kubernetes/cmd/kube-apiserver
	k8s.io/kubernetes/cmd/kube-controller-manager
	k8s.io/kubernetes/cmd/kube-scheduler
)

require k8s.io/kubernetes $KUBERNETES_VERSION

EOF
      # Every staging module k8s.io/kubernetes replaces with ./staging/src/...
      # -> the published module of the same release (v1.X.Y -> v0.X.Y).
      stage=$(cd "$dir" && module_gomod "k8s.io/kubernetes@$KUBERNETES_VERSION")
      echo "replace (" >>"$dir/go.mod"
      for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*#\1#p' "$stage"); do
        printf '\t%s => %s v0.%s\n' "$m" "$m" "${KUBERNETES_VERSION#v1.}" >>"$dir/go.mod"
      done
      echo ")" >>"$dir/go.mod"
      ;;
    etcd)
      cat >"$dir/go.mod" <<EOF
module pulumi-tdengine/toolchain/etcd

go 1.26.0

tool go.etcd.io/etcd/server/v3

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
EOF
      ;;
    kwok)
      cat >"$dir/go.mod" <<EOF
module pulumi-tdengine/toolchain/kwok

go 1.26.0

tool (
	sigs.k8s.io/kwok/cmd/kwok
	sigs.k8s.io/kwok/cmd/kwokctl
)

require sigs.k8s.io/kwok $KWOK_VERSION
EOF
      ;;
    *) die "unknown module $name" ;;
  esac
}

update_modules() {
  local name t0
  for name in "$@"; do
    t0=$SECONDS
    log "updating modules/$name/go.mod and go.sum"
    CURRENT_STEP="go mod tidy for $name"
    write_gomod "$name"
    (cd "$WORK/$name" && go mod tidy)
    mkdir -p "$HERE/modules/$name"
    cp "$WORK/$name/go.mod" "$WORK/$name/go.sum" "$HERE/modules/$name/"
    CURRENT_STEP=""
    log "modules/$name updated in $((SECONDS - t0))s"
  done
}

# --- main ----------------------------------------------------------------------

ALL_TARGETS=(pulumi pulumi-language-nodejs pulumi-resource-kubernetes kubernetes etcd kwok)
TARGETS=()
UPDATE=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    --update-modules) UPDATE=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 0 ;;
    -*) die "unknown option $arg" ;;
    *)
      [[ " ${ALL_TARGETS[*]} " == *" $arg "* ]] || die "unknown target $arg (one of: ${ALL_TARGETS[*]})"
      TARGETS+=("$arg")
      ;;
  esac
done
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL_TARGETS[@]}")

mkdir -p "$BIN" "$STAMPS" "$WORK" "$PLUGINS" "$GOMODCACHE" "$GOCACHE"

# One build at a time per cache dir.
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  log "another build holds $CACHE/.lock; waiting"
  flock 9
fi

log "cache: $CACHE ($GO_VERSION, GOMODCACHE=$GOMODCACHE, -p $PARALLEL)"

if [[ $UPDATE == 1 ]]; then
  update_modules "${TARGETS[@]}"
  rm -rf "$WORK"
  exit 0
fi

for name in "${TARGETS[@]}"; do
  [[ -f "$HERE/modules/$name/go.mod" && -f "$HERE/modules/$name/go.sum" ]] ||
    die "modules/$name/go.mod or go.sum is missing; run $0 --update-modules $name"
  key=$("key_${name//-/_}")
  case $name in
    pulumi) run_target pulumi "$PULUMI_VERSION" "$key" pulumi pulumi-resource-pulumi-nodejs ;;
    pulumi-language-nodejs) run_target "$name" "$PULUMI_LANGUAGE_NODEJS_SDK_VERSION" "$key" pulumi-language-nodejs ;;
    pulumi-resource-kubernetes)
      run_target "$name" "$KUBERNETES_PROVIDER_MODULE_VERSION" "$key" \
        pulumi-resource-kubernetes
      ;;
    kubernetes) run_target kubernetes "$KUBERNETES_VERSION" "$key" kube-apiserver kube-controller-manager kube-scheduler ;;
    etcd) run_target etcd "$ETCD_VERSION" "$key" etcd ;;
    kwok) run_target kwok "$KWOK_VERSION" "$key" kwok kwokctl ;;
  esac
done

rm -rf "$WORK"
prune_go_caches
for line in "${SUMMARY[@]}"; do log "  $line"; done
log "total: $((SECONDS - TOTAL_START))s; bin dir:"
printf '%s\n' "$BIN"
