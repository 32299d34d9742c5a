/**
 * Assertions for the tests (JSR's @std/assert cannot be reached here), on top
 * of node:assert with messages that show both sides.
 */
import nodeAssert from "node:assert/strict";

export function assert(cond: unknown, message?: string): asserts cond {
  nodeAssert.ok(cond, message as string);
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message as string);
}

export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message as string);
}

export function assertMatch(actual: string, re: RegExp, message?: string): void {
  nodeAssert.match(actual, re, message as string);
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  check?: (e: Error) => void,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    check?.(e as Error);
    return e as Error;
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}

/** `fn` throws an error of class `type` whose message includes `includes`. */
export function assertThrows(
  fn: () => unknown,
  type: new (...args: never[]) => Error,
  includes: string,
): Error {
  try {
    fn();
  } catch (e) {
    nodeAssert.ok(e instanceof type, `expected a ${type.name}, got ${e}`);
    nodeAssert.ok(
      (e as Error).message.includes(includes),
      `"${(e as Error).message}" does not include "${includes}"`,
    );
    return e as Error;
  }
  throw new nodeAssert.AssertionError({ message: "expected the call to throw" });
}
