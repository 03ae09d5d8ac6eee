/**
 * The one rule for a root password: the lifecycle applies it before `alter user root pass`
 * (docs/tdengine.md#alter-user-pass), and argument validation applies it at preview, so a password the
 * rotation would refuse never gets as far as the Secret.
 */

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 255;
/**
 * TDengine's documented password characters (docs "Usage of Special Characters in Passwords"): letters,
 * digits and `! @ # $ % ^ & * ( ) - _ + = [ ] { } : ; > < ? | ~ , .`, minus `:`, which the same page says
 * the REST API's Basic authentication cannot carry (and the lifecycle must log in with the new password).
 * The set has no quote, backtick, backslash or space, so the password goes between single quotes as is.
 */
const PASSWORD_PATTERN = /^[A-Za-z0-9!@#$%^&*()\-_+=[\]{};><?|~,.]+$/;

/** What a usable password is, for error messages. */
export const PASSWORD_RULE = `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters of letters, digits and ` +
    "! @ # $ % ^ & * ( ) - _ + = [ ] { } ; > < ? | ~ , . (no spaces, quotes, backslashes, colons or non-ASCII letters)";

/**
 * Why TDengine or its REST API cannot take `password`, or undefined when it can. Never quotes the
 * password. TDengine itself still enforces the rest: with `enableStrongPassword` (the default) three of
 * upper case, lower case, digits and specials; older 3.x builds cap the length at 16.
 */
export function passwordProblem(password: string): string | undefined {
    if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
        return `has ${password.length} characters; TDengine takes ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH}`;
    }
    if (!PASSWORD_PATTERN.test(password)) {
        return "has a character TDengine or its REST API does not take";
    }
    return undefined;
}
