#!/usr/bin/env node
// Fails when the code, tests, README, docs or stacks point outside the repository for a TDengine fact
// (`captures/NN`, `/work/shared`) or cite a `docs/tdengine.md#anchor` that is not a section there.
// Usage: node scripts/check-citations.mjs [dir-or-file ...]   (default: DEFAULT_PATHS)
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const DOC = "docs/tdengine.md";
const SOURCE = /\.(ts|js|mjs|cjs|json|sh|md|ya?ml)$/;
/** Everything a clone's reader sees, except this script and its test, which name the patterns they look for. */
const DEFAULT_PATHS = ["index.ts", "components", "tests", "README.md", "docs", "stacks", "Pulumi.yaml"];

/** GitHub's heading anchor: lower-case, punctuation dropped (letters, digits, `-`, `_` and spaces kept), spaces to `-`. */
export function githubSlug(heading) {
    return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\- _]/gu, "").replace(/ /g, "-");
}

/** The anchors of every `##`-or-deeper heading of a Markdown text, with GitHub's `-1`, `-2` for repeats. */
export function anchorsOf(markdown) {
    const anchors = new Set();
    let fenced = false;
    for (const line of markdown.split("\n")) {
        if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
        const m = fenced ? null : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
        if (!m) continue;
        const base = githubSlug(m[1]);
        let slug = base;
        for (let n = 1; anchors.has(slug); n++) slug = `${base}-${n}`;
        anchors.add(slug);
    }
    return anchors;
}

function* files(dir) {
    if (!statSync(dir).isDirectory()) {
        yield dir;
        return;
    }
    for (const name of readdirSync(dir)) {
        if (name === "node_modules" || name.startsWith(".")) continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) yield* files(path);
        else if (SOURCE.test(name)) yield path;
    }
}

/** Problems in the files under `dirs` (relative to `base`), against the sections of `base`/docs/tdengine.md. */
export function check(dirs, base = root) {
    const anchors = anchorsOf(readFileSync(join(base, DOC), "utf8"));
    const problems = [];
    for (const dir of dirs) {
        for (const path of files(join(base, dir))) {
            const lines = readFileSync(path, "utf8").split("\n");
            lines.forEach((line, i) => {
                const where = `${relative(base, path)}:${i + 1}`;
                for (const outside of line.match(/captures\/|\/work\/shared/g) ?? []) {
                    problems.push(`${where}: cites "${outside}", which a clone does not have; cite ${DOC}#<section> instead`);
                }
                for (const m of line.matchAll(/docs\/tdengine\.md#([\w-]+)/g)) {
                    if (!anchors.has(m[1])) problems.push(`${where}: ${DOC}#${m[1]} is not a section of ${DOC}`);
                }
            });
        }
    }
    return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
    const dirs = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_PATHS;
    const problems = check(dirs);
    for (const p of problems) console.error(p);
    if (problems.length > 0) {
        console.error(`${problems.length} citation problem(s); the sections of ${DOC} are its ## headings.`);
        process.exit(1);
    }
    console.log(`citations ok in ${dirs.join(", ")}`);
}
