/**
 * One error type for everything a user can get wrong or the store can refuse.
 * `code` is stable (tests and --json match on it); `message` names the file,
 * field or stage at fault; `hint` says what to do about it.
 */
export type ErrorCode =
  | "CONFIG" // malformed or invalid run configuration
  | "PIPELINE" // the DAG itself is wrong (unknown node, cycle, bad input slot)
  | "INPUT_FILE" // a file a stage reads is missing or unreadable
  | "INPUT_CHANGED" // a file changed while a stage was reading it
  | "MODEL" // an ONNX model is broken or lacks what a stage needs
  | "DATA" // a data set is empty, corrupt or half-written
  | "STORE_LOCKED"; // another process holds the store

/** An error a user can act on: a code for the exit status, a one-line message naming what is wrong, and a hint. */
export class DissectError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "DissectError";
  }

  /** A one-paragraph rendering for the terminal. */
  describe(): string {
    return `error[${this.code}]: ${this.message}` +
      (this.hint ? `\n  hint: ${this.hint}` : "");
  }
}

/** Whether a thrown value is a DissectError. */
export function isDissectError(e: unknown): e is DissectError {
  return e instanceof DissectError;
}
