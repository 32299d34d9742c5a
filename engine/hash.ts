/** Hashing helpers: every key in the store is a sha256 over canonical JSON. */
import { createHash } from "node:crypto";

/** Hex SHA-256 of a string (as UTF-8) or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** JSON with object keys sorted at every level, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) {
    throw new TypeError(`cannot hash non-finite number ${value}`);
  }
  return value;
}

/** SHA-256 of a value's canonical JSON: equal values, equal hashes. */
export function hashJson(value: unknown): string {
  return sha256(canonicalJson(value));
}
