/**
 * Keeps passwords out of every text the REST client shows: statements in errors, TDengine's answers,
 * network errors and log lines all go through {@link redact} before anyone sees them.
 */

export const REDACTED = "<redacted>";

/**
 * Replaces every secret, then whatever follows `pass '` in case TDengine echoed a statement cut short
 * (its syntax errors quote the text near the error).
 */
export function redact(text: string, secrets: readonly string[]): string {
    const withoutSecrets = secrets.reduce((t, secret) => (secret === "" ? t : t.split(secret).join(REDACTED)), text);
    return withoutSecrets.replace(/(\bpass\s*')[^']*/gi, `$1${REDACTED}`);
}
