/**
 * Helpers shared by the world tests.
 */

import { createHash } from "node:crypto";

export { assert, assertEquals } from "../tests/assert.ts";

export { fromRows, mask } from "../tests/label_maps.ts";

/** Hex SHA-256 of byte arrays, for pinned digests. */
export function sha256(...parts: Uint8Array[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest("hex");
}
