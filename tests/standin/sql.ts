/**
 * The SQL the stand-in understands: one regular expression per statement form that our lifecycle client
 * and its tests send. Anything else is answered the way TDengine's parser answers what it cannot parse:
 * `syntax error near "<text from the rejected token on>"` (docs/tdengine.md#system-tables, #database-replicas).
 */

import { columnNames, SystemTable } from "./schema";

export type DropMode = "plain" | "force" | "unsafe";

/** `db.t`, or `t` to be resolved against the database in the URL (`/rest/sql/<db>`). */
export interface TableRef {
    readonly db: string | undefined;
    readonly table: string;
}

/** An equality filter `where <column> = <literal>`. */
export interface Filter {
    readonly column: string;
    readonly value: string | number;
}

export type Statement =
    | { readonly kind: "select-system"; readonly table: SystemTable; readonly columns: readonly string[] | "*"; readonly filter?: Filter }
    | { readonly kind: "show-databases" }
    | { readonly kind: "show-alive"; readonly db?: string }
    | { readonly kind: "create-dnode"; readonly endpoint: string }
    | { readonly kind: "drop-dnode"; readonly dnodeId?: number; readonly endpoint?: string; readonly mode: DropMode }
    | { readonly kind: "create-mnode"; readonly dnodeId: number }
    | { readonly kind: "drop-mnode"; readonly dnodeId: number }
    | { readonly kind: "create-database"; readonly name: string; readonly ifNotExists: boolean; readonly replica?: number; readonly vgroups?: number }
    | { readonly kind: "drop-database"; readonly name: string; readonly ifExists: boolean }
    | { readonly kind: "create-table"; readonly ref: TableRef; readonly ifNotExists: boolean }
    | { readonly kind: "insert"; readonly targets: ReadonlyArray<{ readonly ref: TableRef; readonly rows: number }> }
    | { readonly kind: "balance-vgroup" }
    | { readonly kind: "balance-vgroup-leader"; readonly vgroupId?: number }
    | { readonly kind: "select-server-version" }
    | { readonly kind: "select-count"; readonly ref: TableRef }
    | { readonly kind: "alter-password"; readonly user: string; readonly password: string }
    | { readonly kind: "syntax-error"; readonly near: string };

const NAME = "(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)";
const QUOTED = `('[^']*'|"[^"]*")`;
const END = "\\s*;?\\s*$";

type Parser = (match: RegExpExecArray, sql: string) => Statement;

/** Tried in order; the first whose pattern matches the whole statement parses it. */
const FORMS: ReadonlyArray<readonly [RegExp, Parser]> = [
    // `show dnodes` is `select * from information_schema.ins_dnodes` (docs/tdengine.md#system-tables prints both the same).
    [re(`^show\\s+dnodes${END}`), () => ({ kind: "select-system", table: "ins_dnodes", columns: "*" })],
    [re(`^show\\s+mnodes${END}`), () => ({ kind: "select-system", table: "ins_mnodes", columns: "*" })],
    // docs/tdengine.md#system-tables: this build's `show databases` has the `name` column only.
    [re(`^show\\s+databases${END}`), () => ({ kind: "show-databases" })],
    [re(`^show\\s+cluster\\s+alive${END}`), () => ({ kind: "show-alive" })],
    [re(`^show\\s+${NAME}\\.alive${END}`), (m) => ({ kind: "show-alive", db: identifier(m[1]) })],
    [
        re(`^select\\s+(.+?)\\s+from\\s+information_schema\\.(ins_dnodes|ins_mnodes|ins_databases|ins_vgroups)(?:\\s+where\\s+${NAME}\\s*=\\s*('[^']*'|\\d+))?${END}`),
        parseSystemSelect,
    ],
    // docs/tdengine.md#system-tables: `show <db>.vgroups` prints the database's rows of ins_vgroups.
    [re(`^show\\s+${NAME}\\.vgroups${END}`), (m) => ({ kind: "select-system", table: "ins_vgroups", columns: "*", filter: { column: "db_name", value: identifier(m[1]) } })],
    [re(`^select\\s+server_version\\(\\s*\\)${END}`), () => ({ kind: "select-server-version" })],
    [re(`^balance\\s+vgroup${END}`), () => ({ kind: "balance-vgroup" })],
    [re(`^balance\\s+vgroup\\s+leader(?:\\s+on\\s+(\\d+))?${END}`), (m) => ({ kind: "balance-vgroup-leader", ...(m[1] === undefined ? {} : { vgroupId: Number(m[1]) }) })],
    [re(`^create\\s+dnode\\s+${QUOTED}${END}`), (m) => ({ kind: "create-dnode", endpoint: unquote(m[1]) })],
    [re(`^create\\s+dnode\\s+([A-Za-z0-9_.\\-]+)\\s+port\\s+(\\d+)${END}`), (m) => ({ kind: "create-dnode", endpoint: `${m[1]}:${m[2]}` })],
    [re(`^drop\\s+dnode\\s+(\\d+)(?:\\s+(force|unsafe))?${END}`), (m) => ({ kind: "drop-dnode", dnodeId: Number(m[1]), mode: dropMode(m[2]) })],
    [re(`^drop\\s+dnode\\s+${QUOTED}(?:\\s+(force|unsafe))?${END}`), (m) => ({ kind: "drop-dnode", endpoint: unquote(m[1]), mode: dropMode(m[2]) })],
    [re(`^create\\s+mnode\\s+on\\s+dnode\\s+(\\d+)${END}`), (m) => ({ kind: "create-mnode", dnodeId: Number(m[1]) })],
    [re(`^drop\\s+mnode\\s+on\\s+dnode\\s+(\\d+)${END}`), (m) => ({ kind: "drop-mnode", dnodeId: Number(m[1]) })],
    [re(`^create\\s+database\\s+(if\\s+not\\s+exists\\s+)?${NAME}(.*?)${END}`), parseCreateDatabase],
    [re(`^drop\\s+database\\s+(if\\s+exists\\s+)?${NAME}${END}`), (m) => ({ kind: "drop-database", name: identifier(m[2]), ifExists: m[1] !== undefined })],
    [re(`^create\\s+table\\s+(if\\s+not\\s+exists\\s+)?${tableRef()}\\s*\\(.*\\)${END}`), (m) => ({ kind: "create-table", ref: ref(m[2], m[3]), ifNotExists: m[1] !== undefined })],
    [re(`^insert\\s+into\\s+(.*)$`), parseInsert],
    [re(`^select\\s+count\\(\\*\\)\\s+from\\s+${tableRef()}${END}`), (m) => ({ kind: "select-count", ref: ref(m[1], m[2]) })],
    [re(`^alter\\s+user\\s+${NAME}\\s+pass\\s+${QUOTED}${END}`), (m) => ({ kind: "alter-password", user: identifier(m[1]), password: unquote(m[2]) })],
];

/** Parses one statement as sent in a REST body. */
export function parseStatement(sql: string): Statement {
    for (const [pattern, parse] of FORMS) {
        const match = pattern.exec(sql);
        if (match) return parse(match, sql);
    }
    return { kind: "syntax-error", near: sql };
}

function re(source: string): RegExp {
    return new RegExp(source, "is");
}

function tableRef(): string {
    return `(?:${NAME}\\.)?${NAME}`;
}

function ref(db: string | undefined, table: string): TableRef {
    return { db: db === undefined ? undefined : identifier(db), table: identifier(table) };
}

/** TDengine folds unquoted names to lower case and keeps backquoted ones as written. */
function identifier(raw: string): string {
    return raw.startsWith("`") ? raw.slice(1, -1) : raw.toLowerCase();
}

function unquote(raw: string): string {
    return raw.slice(1, -1);
}

function dropMode(word: string | undefined): DropMode {
    return word === undefined ? "plain" : (word.toLowerCase() as DropMode);
}

/** Column names that are also keywords: unquoted in a select list they are a syntax error (docs/tdengine.md#system-tables). */
const RESERVED_COLUMNS: ReadonlySet<string> = new Set(["replica"]);

function parseSystemSelect(m: RegExpExecArray, sql: string): Statement {
    const table = m[2].toLowerCase() as SystemTable;
    const known = columnNames(table);
    const filter = m[3] === undefined ? undefined : { column: identifier(m[3]), value: literal(m[4]) };
    if (filter && !known.includes(filter.column)) return { kind: "syntax-error", near: sql };
    if (m[1].trim() === "*") {
        // The full ins_databases has 38 columns (docs/tdengine.md#system-tables); only the ones in schema.ts are modelled.
        return table === "ins_databases" ? { kind: "syntax-error", near: sql } : { kind: "select-system", table, columns: "*", filter };
    }
    const listStart = sql.indexOf(m[1]);
    const columns: string[] = [];
    for (const part of m[1].matchAll(/[^,]+/g)) {
        const raw = part[0].trim();
        if (RESERVED_COLUMNS.has(raw.toLowerCase())) {
            // docs/tdengine.md#system-tables: `select name, replica from ...` → syntax error near "replica from ...".
            return { kind: "syntax-error", near: sql.slice(listStart + (part.index ?? 0) + part[0].indexOf(raw)) };
        }
        const column = identifier(raw);
        if (!known.includes(column)) return { kind: "syntax-error", near: sql };
        columns.push(column);
    }
    return { kind: "select-system", table, columns, filter };
}

function literal(raw: string): string | number {
    return raw.startsWith("'") ? unquote(raw) : Number(raw);
}

/** The options the stand-in reads, and the ones it accepts and ignores (TDengine's own names). */
const DATABASE_OPTIONS: ReadonlySet<string> = new Set([
    "replica", "vgroups", "precision", "keep", "duration", "buffer", "pages", "pagesize", "minrows", "maxrows",
    "comp", "cachemodel", "cachesize", "wal_level", "wal_fsync_period", "wal_retention_period", "wal_retention_size",
    "strict", "stt_trigger",
]);

const INTEGER_OPTIONS: ReadonlySet<string> = new Set(["replica", "vgroups"]);

function parseCreateDatabase(m: RegExpExecArray, sql: string): Statement {
    const options = new Map<string, string>();
    const text = m[3];
    const pattern = /\s*([A-Za-z_]+)\s+('[^']*'|[^\s']+)/y;
    for (let offset = 0; text.slice(offset).trim() !== ""; offset = pattern.lastIndex) {
        pattern.lastIndex = offset;
        const option = pattern.exec(text);
        const name = option?.[1].toLowerCase() ?? "";
        const valid = option !== null && DATABASE_OPTIONS.has(name) && (!INTEGER_OPTIONS.has(name) || /^\d+$/.test(option[2]));
        if (!valid) {
            // docs/tdengine.md#database-replicas: `create database x3 replica 2 with_arbitrator 1;`
            // → syntax error near "with_arbitrator 1;".
            return { kind: "syntax-error", near: sql.slice(sql.lastIndexOf(text.slice(offset).trimStart())) };
        }
        options.set(name, option[2]);
    }
    const replica = options.get("replica");
    const vgroups = options.get("vgroups");
    return {
        kind: "create-database",
        name: identifier(m[2]),
        ifNotExists: m[1] !== undefined,
        ...(replica === undefined ? {} : { replica: Number(replica) }),
        ...(vgroups === undefined ? {} : { vgroups: Number(vgroups) }),
    };
}

/** The head of one table's part of an insert: `<table> [(<columns>)] values`. */
const INSERT_TARGET = new RegExp(`^\\s*${tableRef()}(?:\\s*\\([^)]*\\))?\\s+values\\s*`, "is");

/**
 * `insert into t1 values (...)(...) [t2 values (...) ...]`: TDengine writes to several tables in one
 * statement, as the writer of docs/tdengine.md#rolling-restart did (8 rows, one per table, every 50 ms).
 */
function parseInsert(m: RegExpExecArray, sql: string): Statement {
    const targets: Array<{ ref: TableRef; rows: number }> = [];
    let rest = m[1];
    while (rest.replace(/[\s;]/g, "") !== "") {
        const head = INSERT_TARGET.exec(rest);
        if (!head) return { kind: "syntax-error", near: sql };
        rest = rest.slice(head[0].length);
        const values = valueGroups(rest);
        if (values.groups === 0) return { kind: "syntax-error", near: sql };
        targets.push({ ref: ref(head[1], head[2]), rows: values.groups });
        rest = rest.slice(values.length);
    }
    return targets.length > 0 ? { kind: "insert", targets } : { kind: "syntax-error", near: sql };
}

/**
 * `(now, 1)(now+1s, 2) t2 ...` → 2 groups and the length they take: the top-level parenthesised groups,
 * quotes respected, up to the next table name or the end; 0 groups if unbalanced.
 */
function valueGroups(text: string): { groups: number; length: number } {
    let depth = 0;
    let groups = 0;
    let quote: string | undefined;
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (quote !== undefined) {
            if (ch === quote) quote = undefined;
        } else if (ch === "'" || ch === '"') {
            quote = ch;
        } else if (ch === "(") {
            if (depth === 0) groups++;
            depth++;
        } else if (ch === ")") {
            depth--;
            if (depth < 0) return { groups: 0, length: i };
        } else if (depth === 0 && !/[\s,;]/.test(ch)) {
            return { groups, length: i };
        }
    }
    return depth === 0 && quote === undefined ? { groups, length: text.length } : { groups: 0, length: text.length };
}
