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
  | "STORE_LOCKED" // another process holds the store
  | "STORE"; // the store cannot be written (read-only, no permission, disk full) or its catalog built

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

/** OS errors that mean the store (or a folder a stage writes) cannot be written, by errno. */
const UNWRITABLE: Record<number, string> = {
  1: "operation not permitted",
  13: "permission denied",
  17: "a file stands where a folder should be",
  20: "a part of the path is a file, not a folder",
  21: "a folder stands where a file should be",
  28: "the disk is full",
  30: "read-only file system",
  122: "disk quota exceeded",
};

/**
 * An OS error that means a folder cannot be written, as a STORE error naming
 * the path (Deno's message carries it); null for any other error.
 */
export function storeError(e: unknown): DissectError | null {
  if (!(e instanceof Error)) return null;
  // DuckDB says it in words, the OS by number.
  const errno = /No space left on device/.test(e.message)
    ? 28
    : Number(/\(os error (\d+)\)/.exec(e.message)?.[1]);
  const what = UNWRITABLE[errno];
  if (!what && !(e instanceof Deno.errors.PermissionDenied)) return null;
  // The last path named: a rename's target is where the trouble is.
  const paths = [...e.message.matchAll(/'([^']+)'|"([^"]+)"/g)].map((m) => m[1] ?? m[2]);
  const path = paths.at(-1);
  const inTheWay = errno === 17 || errno === 20 || errno === 21;
  return new DissectError(
    "STORE",
    `cannot ${inTheWay ? "use" : "write"} ${path ?? "the store"}: ${what ?? "permission denied"}`,
    errno === 28 || errno === 122
      ? "free some space (deno task gc removes what no config uses), then run again"
      : inTheWay
      ? "move what is in the way, or use another store (--store DIR)"
      : "use a store you can write (--store DIR), or fix its permissions",
  );
}
