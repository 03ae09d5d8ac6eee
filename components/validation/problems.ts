/** A bad argument, said once: where it is, what is wrong with it, and what to do instead. */
import * as pulumi from "@pulumi/pulumi";

export interface Problem {
    /** The argument's path, e.g. `storage.size` or `tolerations[0].operator`. */
    path: string;
    /** What is wrong, with what was given (its type and value; a secret masked). */
    problem: string;
    /** What to write instead. */
    fix: string;
}

/**
 * Bad arguments of a TDengineCluster: `field` is the first one's path; `problems` lists them all. A
 * RunError, so Pulumi prints the message alone, without a stack trace that would only bury it.
 */
export class TDengineClusterArgumentError extends pulumi.RunError {
    readonly field: string;

    constructor(readonly resourceName: string, readonly problems: readonly Problem[]) {
        super(problems.length === 1
            ? `TDengineCluster "${resourceName}": ${line(problems[0])}`
            : `TDengineCluster "${resourceName}": ${problems.length} problems with the arguments:\n${problems.map(p => `  - ${line(p)}`).join("\n")}`);
        this.name = "TDengineClusterArgumentError";
        this.field = problems[0]?.path ?? "";
    }
}

function line(p: Problem): string {
    return `${p.path} ${p.problem}. ${p.fix}`;
}
