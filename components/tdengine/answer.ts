/**
 * taosAdapter's answer to one statement (docs/tdengine.md#rest-api: HTTP 200 and `{code, desc}` for
 * TDengine's refusals, `{code: 0, column_meta, data}` for results) turned into rows or the matching
 * typed error. Gateway errors and `Unable to establish connection` are {@link NoAnswer}: the retry loop's.
 */
import {
    TDengineAuthError,
    TDengineError,
    TDengineResponseError,
    TdCode,
} from "./errors";
import { redact } from "./redact";
import { HttpAnswer, NoAnswer } from "./transport";

/** One result row, keyed by column name as TDengine's `column_meta` names it. */
export type Row = Readonly<Record<string, unknown>>;

/** A statement's result: `show` and `select` rows, or `affected_rows` for the others. */
export interface QueryResult {
    columns: string[];
    rows: Row[];
}

/** Who asked what, where: for the errors an answer becomes. */
export interface Asked {
    url: string;
    user: string;
    /** The statement, secrets redacted. */
    statement: string;
    secrets: readonly string[];
}

const GATEWAY_STATUSES: readonly number[] = [502, 503, 504];

/** Turns taosAdapter's answer into rows or the matching error. */
export function interpret(answer: HttpAnswer, asked: Asked): QueryResult {
    const body = parseJson(answer.body);
    const code = errorCode(body);
    const desc = answerText(body, answer.body, asked.secrets);
    const { statement } = asked;
    const httpStatus = answer.status;
    if (isCredentialFailure(httpStatus, code)) {
        const auth = { user: asked.user, url: asked.url };
        throw new TDengineAuthError({ code: code ?? TdCode.AuthFailure, desc, statement, httpStatus, ...auth });
    }
    if (GATEWAY_STATUSES.includes(httpStatus) || code === TdCode.NetworkUnavailable) {
        throw new NoAnswer(`HTTP ${httpStatus}: ${desc}`, true);
    }
    if (code !== undefined && code !== 0) {
        throw new TDengineError({ code, desc, statement, httpStatus });
    }
    const result = httpStatus >= 200 && httpStatus < 300 ? toResult(body) : undefined;
    if (!result) {
        const problem = `not taosAdapter's JSON: ${desc}`;
        throw new TDengineResponseError(asked.url, statement, httpStatus, problem);
    }
    return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return undefined;
    }
}

/** The low 16 bits, in case a build sends TDengine's full code. */
function errorCode(body: unknown): number | undefined {
    return isRecord(body) && typeof body.code === "number" ? body.code & 0xffff : undefined;
}

/** TDengine's `desc`, or else the start of whatever came back; secrets redacted before anything is cut. */
function answerText(body: unknown, raw: string, secrets: readonly string[]): string {
    if (isRecord(body) && typeof body.desc === "string") {
        return redact(body.desc, secrets);
    }
    return summarize(redact(raw, secrets));
}

/**
 * Wrong credentials: TDengine's codes, or taosAdapter's HTTP 401. A 401 carrying another TDengine code is
 * not about the login: with `httpCodeServerError` on, `alter user` with a refused new password is a 401 too.
 */
function isCredentialFailure(status: number, code: number | undefined): boolean {
    if (code === TdCode.AuthFailure || code === TdCode.InvalidUser) {
        return true;
    }
    const adapterOwnCode = code !== undefined && code >= 0x1100 && code <= 0x11ff;
    return status === 401 && (code === undefined || adapterOwnCode);
}

function toResult(body: unknown): QueryResult | undefined {
    if (!isRecord(body) || body.code !== 0 || !Array.isArray(body.column_meta) || !Array.isArray(body.data)) {
        return undefined;
    }
    const columns = body.column_meta.map((meta: unknown) => (Array.isArray(meta) ? meta[0] : undefined));
    if (!columns.every((c): c is string => typeof c === "string") || !body.data.every(Array.isArray)) {
        return undefined;
    }
    const rows = (body.data as unknown[][]).map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
    return { columns, rows };
}

function summarize(body: string): string {
    const oneLine = body.replace(/\s+/g, " ").trim();
    if (oneLine === "") {
        return "empty body";
    }
    return oneLine.length > 200 ? `${oneLine.slice(0, 200)}...` : oneLine;
}
