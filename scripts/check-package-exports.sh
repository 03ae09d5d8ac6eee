#!/usr/bin/env bash
# Checks that package.json `exports` lets the dynamic providers' serialized code load what it requires.
#
# Pulumi serializes each lifecycle step's provider (pulumi.runtime.serializeFunction); for a module
# that lives in node_modules, the serialized code holds `require("pulumi-tdengine/bin/components/...")`
# instead of the module's code, and Node refuses such a subpath unless `exports` lists it. This packs
# the package, installs the tarball in a scratch directory (its dependencies linked from this clone's
# node_modules), serializes both providers as Pulumi does, and resolves every package subpath they
# require. It fails naming any subpath `exports` must add.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cd "$root"
npm pack --silent --pack-destination "$scratch" >/dev/null
mkdir -p "$scratch/node_modules/pulumi-tdengine"
tar xzf "$scratch"/pulumi-tdengine-*.tgz -C "$scratch/node_modules/pulumi-tdengine" --strip-components=1
for dep in "$root"/node_modules/* "$root"/node_modules/@*; do
    name="$(basename "$dep")"
    [ "$name" = pulumi-tdengine ] || [ -e "$scratch/node_modules/$name" ] || ln -s "$dep" "$scratch/node_modules/$name"
done

cd "$scratch"
node - <<'JS'
const path = require("path");
const pulumi = require("@pulumi/pulumi");
const lib = path.join(process.cwd(), "node_modules", "pulumi-tdengine", "bin", "components", "lifecycle");
const providers = {
    before: require(path.join(lib, "before-statefulset.js")).beforeStatefulSetProvider,
    after: require(path.join(lib, "after-statefulset.js")).afterStatefulSetProvider,
};
(async () => {
    const missing = [];
    for (const [step, provider] of Object.entries(providers)) {
        const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
        const own = [...new Set([...sf.text.matchAll(/require\("(pulumi-tdengine\/[^"]+)"\)/g)].map(m => m[1]))];
        for (const spec of own) {
            try {
                require.resolve(spec, { paths: [process.cwd()] });
                console.log(`ok: the ${step} step requires ${spec}, which exports allows`);
            } catch (err) {
                missing.push(`the ${step} step requires ${spec}: ${err.code ?? err.message}`);
            }
        }
    }
    if (missing.length > 0) {
        console.error(missing.join("\n"));
        console.error("add these subpaths to package.json exports");
        process.exit(1);
    }
})().catch(err => { console.error(err); process.exit(1); });
JS
