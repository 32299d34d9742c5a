/**
 * Per-pixel maps of class ids. A map over at most 256 classes takes a byte a
 * pixel; over more (Broden's 584 objects, a segmenter's 1,452 parts) two.
 * On disk the two bytes are little-endian, as typed arrays are on every
 * platform Deno runs on (checked once, below), so a file is read and written
 * as the array's own bytes.
 */

/** Class ids, one per pixel: bytes for up to 256 classes, 16 bits for up to 65,536. */
export type ClassMap = Uint8Array | Uint16Array;

/** Most classes a map can hold. */
export const MAX_CLASSES = 65536;

if (new Uint8Array(Uint16Array.of(1).buffer)[0] !== 1) {
  throw new Error("class maps are stored little-endian; this platform is big-endian");
}

/** Bytes per pixel of a map over `classes` classes. */
export function classMapWidth(classes: number): 1 | 2 {
  if (!(classes <= MAX_CLASSES)) {
    throw new Error(`${classes} classes: a class map holds at most ${MAX_CLASSES}`);
  }
  return classes > 256 ? 2 : 1;
}

/** A zeroed map of `length` pixels, `width` bytes each. */
export function newClassMap(width: 1 | 2, length: number): ClassMap {
  return width === 2 ? new Uint16Array(length) : new Uint8Array(length);
}

/** The bytes of a map as stored (a view, not a copy). */
export function bytesOfMap(map: ClassMap): Uint8Array {
  return map instanceof Uint8Array
    ? map
    : new Uint8Array(map.buffer, map.byteOffset, map.byteLength);
}

/** A map of `width` bytes per pixel from its stored bytes (a view when aligned, else a copy). */
export function mapOfBytes(bytes: Uint8Array, width: 1 | 2): ClassMap {
  if (width === 1) return bytes;
  if (bytes.byteLength % 2) throw new Error(`${bytes.byteLength} bytes are not a 16-bit map`);
  if (bytes.byteOffset % 2) return new Uint16Array(bytes.slice().buffer);
  return new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
}

/** Bytes per pixel of a map (1 or 2). */
export function widthOf(map: ClassMap): 1 | 2 {
  return map.BYTES_PER_ELEMENT as 1 | 2;
}
