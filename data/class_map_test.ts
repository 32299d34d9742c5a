import { assertEquals, assertThrows } from "../tests/assert.ts";
import { bytesOfMap, classMapWidth, mapOfBytes, newClassMap, widthOf } from "./class_map.ts";

Deno.test("a map takes a byte a pixel up to 256 classes, two up to 65,536, and no more", () => {
  assertEquals([classMapWidth(1), classMapWidth(256), classMapWidth(257)], [1, 1, 2]);
  assertEquals(classMapWidth(65536), 2);
  assertThrows(() => classMapWidth(65537), Error, "at most 65536");
  assertEquals([widthOf(newClassMap(1, 3)), widthOf(newClassMap(2, 3))], [1, 2]);
});

Deno.test("a 16-bit map's stored bytes are little-endian and read back whole, aligned or not", () => {
  const map = Uint16Array.of(0, 255, 256, 65535);
  const bytes = bytesOfMap(map);
  assertEquals(Array.from(bytes), [0, 0, 255, 0, 0, 1, 255, 255]);
  assertEquals(Array.from(mapOfBytes(bytes, 2)), Array.from(map));
  const shifted = new Uint8Array(9);
  shifted.set(bytes, 1);
  assertEquals(Array.from(mapOfBytes(shifted.subarray(1), 2)), Array.from(map));
  assertThrows(() => mapOfBytes(shifted.subarray(1, 8), 2), Error, "7 bytes are not a 16-bit map");
  const narrow = Uint8Array.of(3, 4);
  assertEquals(mapOfBytes(narrow, 1), narrow);
});
