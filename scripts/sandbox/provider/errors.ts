/** How a provider's failure reads in the sandbox, shaped like a provider error in `pulumi up` output. */
import { CmicError, EXIT_FAILED } from "../../../contract/errors";

/** A resource operation failed: `<resource name>: <what>`, with the fix when one is known. */
export class ResourceApplyError extends CmicError {
  constructor(
    readonly resource: string,
    message: string,
    fix?: string,
  ) {
    super("ERR_RESOURCE_APPLY", `${resource}: ${message}`, { fix, exitCode: EXIT_FAILED });
  }
}
