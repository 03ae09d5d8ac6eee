/**
 * docs/tdengine.md is where comments and tests find TDengine's behaviour; scripts/check-citations.mjs keeps
 * their citations pointing at its sections and nowhere outside the repository.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

interface Citations {
    githubSlug(heading: string): string;
    anchorsOf(markdown: string): Set<string>;
    check(dirs: string[], base?: string): string[];
}

const root = path.resolve(__dirname, "..", "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an ES module script, loaded by Node's require(esm)
const citations = require(path.join(root, "scripts", "check-citations.mjs")) as Citations;

/** The sections every helper cites (one per fact). */
const SECTIONS = [
    "joining-dnodes", "create-mnode", "mnode-already-exists", "database-replicas", "drop-dnode", "drop-dnode-takes-its-mnode",
    "mnode-leader-failover", "alter-user-pass", "environment-variables", "rest-api", "system-tables", "dropped-dnode-returns",
    "offline-dnode", "auth-errors", "sigterm-and-datadir-lock", "balance-vgroup", "rolling-restart", "version-rules", "two-mnodes",
    "conflict-transaction", "error-codes",
];

describe("docs/tdengine.md and its citations", () => {
    it("has exactly one ## section per fact, under the agreed anchors", () => {
        const doc = fs.readFileSync(path.join(root, "docs", "tdengine.md"), "utf8");
        const headings = doc.split("\n").filter(l => l.startsWith("## ")).map(l => citations.githubSlug(l.slice(3)));
        assert.deepEqual([...headings].sort(), [...SECTIONS].sort());
    });

    it("slugs headings as GitHub does: lower case, punctuation dropped, spaces to dashes", () => {
        assert.equal(citations.githubSlug("SIGTERM and datadir lock"), "sigterm-and-datadir-lock");
        assert.equal(citations.githubSlug("REST API"), "rest-api");
        assert.equal(citations.githubSlug("Drop dnode: takes its mnode!"), "drop-dnode-takes-its-mnode");
        assert.deepEqual([...citations.anchorsOf("## A b\n```\n## not a heading\n```\n## A b\n")], ["a-b", "a-b-1"]);
    });

    it("flags a capture file, the machine-local shared folder and an anchor that is not a section; accepts a real section", () => {
        const base = fs.mkdtempSync(path.join(os.tmpdir(), "citations-"));
        try {
            fs.mkdirSync(path.join(base, "docs"));
            fs.copyFileSync(path.join(root, "docs", "tdengine.md"), path.join(base, "docs", "tdengine.md"));
            fs.mkdirSync(path.join(base, "src"));
            fs.writeFileSync(path.join(base, "src", "a.ts"), [
                "// docs/tdengine.md#drop-dnode: fine",
                `// ${"captures"}/07: not in a clone`,
                `// see ${"/work"}/shared/tdengine`,
                `// docs/tdengine.md#${"no-such-section"}`,
            ].join("\n"));
            const problems = citations.check(["src"], base);
            assert.equal(problems.length, 3, problems.join("\n"));
            assert.match(problems[0], /^src\/a\.ts:2: cites "captures\/"/);
            assert.match(problems[1], /^src\/a\.ts:3: cites "\/work\/shared"/);
            assert.match(problems[2], /^src\/a\.ts:4: docs\/tdengine\.md#no-such-section is not a section/);
        } finally {
            fs.rmSync(base, { recursive: true, force: true });
        }
    });
});
