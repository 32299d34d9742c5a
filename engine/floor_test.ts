/**
 * The floors: engine/ and stats/ know nothing of ONNX, the world, the method
 * or the claims, so that any pipeline can run on the engine and the engine's
 * tests never load a model runtime. Checked on every import of their modules.
 */
import { assertEquals } from "../tests/assert.ts";
import { PROJECT_ROOT } from "./paths.ts";

const ABOVE = [
  "onnx",
  "world",
  "dissection",
  "reports",
  "stages",
  "paint",
  "attack",
  "data",
  "zoo",
];

function importsOf(file: string): string[] {
  const text = Deno.readTextFileSync(file);
  return [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
}

for (const floor of ["engine", "stats"]) {
  Deno.test(`${floor}/ imports nothing from the floors above it`, () => {
    const reaching: string[] = [];
    for (const entry of Deno.readDirSync(`${PROJECT_ROOT}/${floor}`)) {
      if (!entry.name.endsWith(".ts")) continue;
      for (const spec of importsOf(`${PROJECT_ROOT}/${floor}/${entry.name}`)) {
        const top = spec.startsWith("../") ? spec.slice(3).split("/")[0] : null;
        if (top && ABOVE.includes(top)) reaching.push(`${floor}/${entry.name} -> ${spec}`);
      }
    }
    assertEquals(reaching, []);
  });
}
