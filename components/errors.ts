/**
 * The base of every error this package throws on purpose: a refusal or a failure whose message is written
 * for the person running `pulumi up`, and which the engine prints as it is.
 */
export class ClearError extends Error {}
