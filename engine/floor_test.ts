/**
 * The floors: engine/ and stats/ know nothing of ONNX, the world, the method
 * or the claims, so that any pipeline can run on the engine and the engine's
 * tests never load a model runtime. Checked on everything their modules
 * import, directly or through other local modules (schemas/, say); and the
 * synthetic world is a leaf that only the render stage, the zoo and tests import.
 */
import { dirname, relative, resolve } from "node:path";
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
/** npm packages of the floors above: the model runtime, protobufs, images, the browser. */
const ABOVE_PACKAGES = ["onnxruntime-node", "onnx-proto", "sharp", "playwright-core", "uplot"];

function importsOf(file: string): string[] {
  const text = Deno.readTextFileSync(file);
  return [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) => m[1]);
}

function sources(dir: string): string[] {
  return [...Deno.readDirSync(resolve(PROJECT_ROOT, dir))]
    .filter((e) => e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts"))
    .map((e) => resolve(PROJECT_ROOT, dir, e.name));
}

/** Every import reached from `roots` through local modules: [importing file, specifier]. */
function reachable(roots: string[]): [string, string][] {
  const seen = new Set<string>(), out: [string, string][] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(file)) {
      out.push([relative(PROJECT_ROOT, file), spec]);
      if (spec.startsWith(".")) walk(resolve(dirname(file), spec));
    }
  };
  roots.forEach(walk);
  return out;
}

for (const floor of ["engine", "stats"]) {
  Deno.test(`${floor}/ reaches nothing of the floors above it, directly or not`, () => {
    const reaching = reachable(sources(floor)).filter(([file, spec]) => {
      if (!spec.startsWith(".")) return ABOVE_PACKAGES.includes(spec.replace(/^npm:/, ""));
      const top = relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(file), spec)).split("/")[0];
      return ABOVE.includes(top);
    }).map(([file, spec]) => `${file} -> ${spec}`);
    assertEquals(reaching, []);
  });
}

Deno.test("the synthetic world is a leaf: only the render stage and the zoo import it", () => {
  const importers: string[] = [];
  for (
    const dir of [
      "engine",
      "stats",
      "data",
      "onnx",
      "dissection",
      "attack",
      "paint",
      "reports",
      "stages",
    ]
  ) {
    for (const file of sources(dir)) {
      for (const spec of importsOf(file)) {
        const target = relative(PROJECT_ROOT, resolve(dirname(file), spec));
        if (spec.startsWith(".") && target.startsWith("world/")) {
          importers.push(relative(PROJECT_ROOT, file));
        }
      }
    }
  }
  assertEquals([...new Set(importers)], ["stages/render.ts"]);
});

Deno.test("stages import no outputs but the report stage; of paint/, only what the page and the paint check share", () => {
  const wiring = sources("stages").filter((f) => !f.endsWith("/stages/report.ts"));
  const shared = ["paint/palette.ts", "paint/painter.ts", "paint/brush.ts", "paint/check.ts"];
  const reaching = reachable(wiring)
    .filter(([file, spec]) => {
      if (!spec.startsWith(".")) return false;
      const target = relative(PROJECT_ROOT, resolve(PROJECT_ROOT, dirname(file), spec));
      const top = target.split("/")[0];
      return top === "reports" || top === "bench" || target === "dissect.ts" ||
        (top === "paint" && !shared.includes(target));
    }).map(([file, spec]) => `${file} -> ${spec}`);
  assertEquals(reaching, []);
});
