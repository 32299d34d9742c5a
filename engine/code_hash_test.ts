import { assert, assertEquals, assertNotEquals } from "../tests/assert.ts";
import { scratchDir } from "../tests/helpers.ts";
import { join, relative } from "node:path";
import { CodeHasher, importSpecifiers } from "./code_hash.ts";
import { fromFileUrl, toFileUrl } from "./paths.ts";

Deno.test("importSpecifiers finds static, re-export, side-effect and literal dynamic imports", () => {
  const src = `import { a } from "./a.ts";
import type { T } from '../t.ts';
export * from "./re.ts";
import "./side.ts";
const m = await import("./dyn.ts");
import { z } from "zod";`;
  assertEquals(importSpecifiers(src).sort(), [
    "../t.ts",
    "./a.ts",
    "./dyn.ts",
    "./re.ts",
    "./side.ts",
    "zod",
  ]);
});

Deno.test("code identity follows the module graph and pins npm versions", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  await Deno.writeTextFile(
    `${dir}/stage.ts`,
    `import { h } from "./helper.ts";\nimport { z } from "zod";`,
  );
  await Deno.writeTextFile(`${dir}/helper.ts`, `import "./deep/leaf.ts";\nexport const h = 1;`);
  await Deno.mkdir(`${dir}/deep`);
  await Deno.writeTextFile(`${dir}/deep/leaf.ts`, `export const leaf = 1;`);
  await Deno.writeTextFile(`${dir}/unrelated.ts`, `export const u = 1;`);
  const id1 = await new CodeHasher(dir, { zod: "npm:zod@4.6.7" }).identity(`${dir}/stage.ts`);
  assertEquals(Object.keys(id1.files).sort(), ["deep/leaf.ts", "helper.ts", "stage.ts"]);
  assertEquals(id1.packages, { zod: "npm:zod@4.6.7" });

  await Deno.writeTextFile(`${dir}/unrelated.ts`, `export const u = 2;`);
  const id2 = await new CodeHasher(dir, { zod: "npm:zod@4.6.7" }).identity(`${dir}/stage.ts`);
  assertEquals(id2, id1, "a module outside the graph does not matter");

  await Deno.writeTextFile(`${dir}/deep/leaf.ts`, `export const leaf = 2;`);
  const id3 = await new CodeHasher(dir, { zod: "npm:zod@4.6.7" }).identity(`${dir}/stage.ts`);
  assertNotEquals(id3.files["deep/leaf.ts"], id1.files["deep/leaf.ts"]);
  assert(id3.files["stage.ts"] === id1.files["stage.ts"]);

  const id4 = await new CodeHasher(dir, { zod: "npm:zod@4.7.0" }).identity(`${dir}/stage.ts`);
  assertEquals(id4.packages, { zod: "npm:zod@4.7.0" });
});

Deno.test("a module graph from the source text equals deno info's for every stage", async () => {
  // deno info resolves the same graph exactly, but costs ~30x more per stage: it is the reference here.
  const root = fromFileUrl(new URL("..", import.meta.url).href).replace(/\/$/, "");
  const hasher = await CodeHasher.forProject(root);
  const stages = [...Deno.readDirSync(join(root, "stages"))]
    .filter((e) => e.name.endsWith(".ts") && !e.name.endsWith("_test.ts"))
    .map((e) => join(root, "stages", e.name));
  assert(stages.length > 10, "the stages are found");
  for (const stage of stages) {
    const ours = Object.keys((await hasher.identity(toFileUrl(stage))).files).sort();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", stage],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(out.success, new TextDecoder().decode(out.stderr));
    const modules: { specifier: string }[] =
      JSON.parse(new TextDecoder().decode(out.stdout)).modules;
    const theirs = modules.filter((m) => m.specifier.startsWith("file://"))
      .map((m) => relative(root, fromFileUrl(m.specifier))).sort();
    assertEquals(ours, theirs, stage);
  }
});
