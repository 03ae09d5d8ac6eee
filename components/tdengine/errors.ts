/**
 * Errors of the TDengine REST client, shaped so that a caller can tell apart: TDengine said no (a code it
 * can match), the credentials are wrong, TDengine cannot be reached, and the outcome is unknown.
 * No message or field ever holds a password: the client redacts them before building any of these.
 */

import { ClearError } from "../errors";

/**
 * TDengine error codes as taosAdapter's REST API returns them: only the low 16 bits of TDengine's code
 * (`Mnode already exists [0x800003A0]` in the CLI is `{"code":928}` over REST). Values as a real TDengine
 * 3.3.7.5 returned them, or from TDengine's source: docs/tdengine.md#error-codes.
 */
export const TdCode = {
    /** `Unable to establish connection`: taosAdapter could not reach taosd. */
    NetworkUnavailable: 0x000b,
    /** `Dnode does not exist`, also for `drop dnode '<endpoint>'` (docs/tdengine.md#drop-dnode). */
    DnodeNotExist: 0x0331,
    /** `Out of dnodes`: a drop would leave a database with fewer dnodes than its replica count. */
    OutOfDnodes: 0x0334,
    /** `Invalid user`: no such user. */
    InvalidUser: 0x0351,
    /** `Invalid password format`: TDengine refused a new password. */
    InvalidPasswordFormat: 0x0353,
    /** `Authentication failure`: wrong password. */
    AuthFailure: 0x0357,
    /** `Mnode already exists`: the goal of `create mnode` is reached. */
    MnodeAlreadyExists: 0x03a0,
    /** `Mnode not there`: the goal of `drop mnode` is reached. */
    MnodeNotThere: 0x03a1,
    /** `The replica of mnode cannot exceed 3`. */
    TooManyMnodes: 0x03a9,
    /**
     * `Conflict transaction not completed`: a transaction that conflicts with this statement (often the same
     * statement, sent earlier, whose answer was lost) is still running. Wait and look; never a failure
     * (docs/tdengine.md#conflict-transaction).
     */
    ConflictTransaction: 0x03d3,
    /** `Please use this command when the dnode is offline` (`force` / `unsafe` on an online dnode). */
    DnodeMustBeOffline: 0x0416,
    /** `Vnode is offline`: `drop dnode` on an offline dnode that holds vnodes. */
    VnodeOffline: 0x0541,
} as const;

/** `0x03A0`: how the code is shown to people (the CLI prints the same digits after `0x8000`). */
export function formatCode(code: number): string {
    return `0x${code.toString(16).toUpperCase().padStart(4, "0")}`;
}

/** What TDengine answered to one statement. */
export interface TDengineErrorDetails {
    /** TDengine's code, low 16 bits. */
    code: number;
    /** TDengine's own text for it (e.g. `Mnode already exists`), secrets redacted. */
    desc: string;
    /** The statement as sent, secrets redacted. */
    statement: string;
    /** The HTTP status of the answer (200 unless taosAdapter's `httpCodeServerError` is on). */
    httpStatus: number;
}

/** TDengine refused a statement. Match on {@link TDengineError.code} (see {@link isCode}), show the message. */
export class TDengineError extends ClearError {
    readonly code: number;
    readonly desc: string;
    readonly statement: string;
    readonly httpStatus: number;

    constructor(details: TDengineErrorDetails, message: string = refusalMessage(details)) {
        super(message);
        this.name = "TDengineError";
        this.code = details.code;
        this.desc = details.desc;
        this.statement = details.statement;
        this.httpStatus = details.httpStatus;
    }
}

function refusalMessage(d: TDengineErrorDetails): string {
    return `TDengine refused \`${d.statement}\`: ${d.desc} (code ${formatCode(d.code)})`;
}

/** True when `err` is TDengine's answer with this code, e.g. `isCode(err, TdCode.MnodeAlreadyExists)`. */
export function isCode(err: unknown, code: number): err is TDengineError {
    return err instanceof TDengineError && err.code === code;
}

/** Where and as whom the client tried to log in. */
export interface TDengineAuthDetails extends TDengineErrorDetails {
    user: string;
    /** The REST base URL, without credentials. */
    url: string;
}

/**
 * TDengine rejected the user or password (`Authentication failure`, `Invalid user`, or HTTP 401 from
 * taosAdapter). Never retried: the same credentials get the same answer.
 */
export class TDengineAuthError extends TDengineError {
    readonly user: string;
    readonly url: string;

    constructor(details: TDengineAuthDetails) {
        super(details, authMessage(details));
        this.name = "TDengineAuthError";
        this.user = details.user;
        this.url = details.url;
    }
}

function authMessage(d: TDengineAuthDetails): string {
    const what =
        d.code === TdCode.InvalidUser
            ? `does not know the user ${d.user}`
            : `rejected the password for user ${d.user}`;
    return (
        `TDengine at ${d.url} ${what} (${d.desc}, code ${formatCode(d.code)}, HTTP ${d.httpStatus}). ` +
        `Check the component's rootPassword and the Kubernetes Secret that holds it: they must match the ` +
        `password TDengine has now (it differs when the password was changed outside Pulumi or the Secret was edited).`
    );
}

/** What was tried before giving up on reaching TDengine. */
export interface TDengineUnreachableDetails {
    /** The REST endpoint, without credentials. */
    url: string;
    statement: string;
    attempts: number;
    elapsedMs: number;
    /** The last network-level error (e.g. `connect ECONNREFUSED 10.0.0.7:6041`). */
    lastError: string;
}

/** Every attempt failed at the network level (refused, reset, timed out, gateway error). */
export class TDengineUnreachableError extends ClearError {
    readonly url: string;
    readonly statement: string;
    readonly attempts: number;
    readonly elapsedMs: number;
    readonly lastError: string;

    constructor(d: TDengineUnreachableDetails) {
        super(
            `Could not reach TDengine's REST API (taosAdapter) at ${d.url} for \`${d.statement}\`: ` +
                `${d.attempts} attempt(s) over ${(d.elapsedMs / 1000).toFixed(1)} s failed; last error: ${d.lastError}`,
        );
        this.name = "TDengineUnreachableError";
        this.url = d.url;
        this.statement = d.statement;
        this.attempts = d.attempts;
        this.elapsedMs = d.elapsedMs;
        this.lastError = d.lastError;
    }
}

/** A statement that may have run in TDengine although no answer came back. */
export interface TDengineConnectionLostDetails {
    url: string;
    statement: string;
    /** Why no answer came (e.g. `socket hang up`, `no response within 3600000 ms`). */
    cause: string;
}

/**
 * The connection broke after a statement that must not be resent was sent (`drop dnode`): TDengine may
 * still be running it, or may have finished it. Look at `show dnodes` (status `dropping`, or the dnode gone)
 * before doing anything else.
 */
export class TDengineConnectionLostError extends ClearError {
    readonly url: string;
    readonly statement: string;
    readonly reason: string;

    constructor(d: TDengineConnectionLostDetails) {
        super(
            `Lost the connection to TDengine at ${d.url} while \`${d.statement}\` was running (${d.cause}). ` +
                `TDengine may still be running it or may have finished it, so it was not resent: look at ` +
                `TDengine's state before trying again (for \`drop dnode\`: \`show dnodes\`, status \`dropping\` ` +
                `or the dnode gone).`,
        );
        this.name = "TDengineConnectionLostError";
        this.url = d.url;
        this.statement = d.statement;
        this.reason = d.cause;
    }
}

/** An answer that is not taosAdapter's JSON (a proxy's error page, a wrong URL, a missing column). */
export class TDengineResponseError extends ClearError {
    readonly url: string;
    readonly statement: string;
    /** The HTTP status, or 0 when the answer came but its content was wrong. */
    readonly httpStatus: number;

    constructor(url: string, statement: string, httpStatus: number, problem: string) {
        const status = httpStatus ? ` (HTTP ${httpStatus})` : "";
        super(`Unexpected answer from ${url} to \`${statement}\`${status}: ${problem}`);
        this.name = "TDengineResponseError";
        this.url = url;
        this.statement = statement;
        this.httpStatus = httpStatus;
    }
}
