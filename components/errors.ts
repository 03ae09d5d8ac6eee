/**
 * The base of every error this package throws. The lifecycle steps run as serialized dynamic providers,
 * and `pulumi.runtime.serializeFunction` turns `super(message)` into `Error.call(this, message)`, which
 * sets nothing on `this`: without the assignment below the engine would report "error: undefined".
 */
export class ClearError extends Error {
    constructor(message: string) {
        super(message);
        this.message = message;
    }
}
