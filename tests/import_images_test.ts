/**
 * A user's own image folder in place of the world's val split: labels from
 * subfolders, classified by the zoo classifier; a corrupt image or an empty
 * folder is an error that names it and publishes nothing.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { catalogRows, runCli, scratchDir, tempDir } from "./helpers.ts";
import { renderItem } from "../world/render.ts";
import { splitItem } from "../world/splits.ts";
import { SCENES } from "../world/vocabulary.ts";
import { encodePng } from "../data/png.ts";

async function folderOfScenes(root: string, classes: string[], per: number) {
  let index = 0;
  for (const name of classes) {
    await Deno.mkdir(join(root, name), { recursive: true });
    for (let k = 0; k < per; index++) {
      const item = splitItem("val", index, 99);
      if (SCENES[item.label] !== name) continue;
      const r = renderItem("val", item, 64);
      await Deno.writeFile(join(root, name, `${k++}.png`), encodePng(r.rgb, 64, 64));
    }
  }
}

async function config(dir: string, folder: string): Promise<string> {
  const path = join(dir, "config.json");
  const smoke = JSON.parse(await Deno.readTextFile("configs/smoke.json"));
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...smoke, name: "imported", data: { val: { folder, labels: "subfolders" } } }),
  );
  return path;
}

Deno.test("an image folder replaces world-val; its subfolders are the labels", async () => {
  await using tmp = await scratchDir();
  const dir = await tmp.subdir();
  const folder = join(dir, "images");
  await folderOfScenes(folder, ["beach", "kitchen"], 4);
  const store = join(dir, "store");
  const r = await runCli(["reproduce", "--config", await config(dir, folder), "--store", store]);
  assertEquals(r.code, 0, r.stderr);
  const items = await catalogRows<{ n: number; labels: number }>(
    store,
    "SELECT count(*) AS n, count(DISTINCT label_name) AS labels FROM images_val__items",
  );
  assertEquals(items, [{ n: 8, labels: 2 }]);
  const preds = await catalogRows<{ name: string; n: number }>(
    store,
    `SELECT c.name, count(*) AS n FROM classify_val__predictions p
     JOIN classify_val__classes c ON c.label = p.label GROUP BY ALL ORDER BY c.name`,
  );
  assertEquals(preds, [{ name: "beach", n: 4 }, { name: "kitchen", n: 4 }]);
});

Deno.test("a folder's class the classifier does not know is refused before anything runs", async () => {
  await using tmp = await scratchDir();
  const dir = await tmp.subdir();
  const folder = join(dir, "images");
  await folderOfScenes(folder, ["beach"], 2);
  await Deno.mkdir(join(folder, "moonbase"));
  await Deno.copyFile(join(folder, "beach", "0.png"), join(folder, "moonbase", "0.png"));
  const store = join(dir, "store");
  const bad = await runCli(["reproduce", "--config", await config(dir, folder), "--store", store]);
  assertEquals(bad.code, 2, bad.stderr);
  assertMatch(
    bad.stderr,
    /images-val \(.*images\): .*classifier\.onnx does not know the data set's label\(s\) moonbase/,
  );
  const ran = await Array.fromAsync(Deno.readDir(join(store, "objects"))).catch(() => []);
  assertEquals(ran, [], "nothing ran, not even the import");
});

Deno.test("a corrupt image or an empty folder is an error naming it", async () => {
  await using tmp = await scratchDir();
  const dir = await tmp.subdir();
  const folder = join(dir, "images");
  await folderOfScenes(folder, ["beach"], 2);
  await Deno.writeFile(
    join(folder, "beach", "broken.png"),
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
  );
  const store = join(dir, "store");
  const bad = await runCli(["reproduce", "--config", await config(dir, folder), "--store", store]);
  assertEquals(bad.code, 1);
  assertMatch(bad.stderr, /cannot decode image .*beach\/broken\.png/);
  const published = await Array.fromAsync(Deno.readDir(join(store, "objects"))).then((es) =>
    es.map((e) => e.name)
  );
  assert(!published.includes("import-images"));

  const empty = join(dir, "empty");
  await Deno.mkdir(empty);
  const none = await runCli(["reproduce", "--config", await config(dir, empty), "--store", store]);
  assertEquals(none.code, 2);
  assertMatch(none.stderr, /folder is empty/);
});

Deno.test("a Places365-style file list and class-name file label a flat folder of images", async () => {
  await using tmp = await scratchDir();
  const dir = await tmp.subdir();
  const scenes = join(dir, "scenes");
  await folderOfScenes(scenes, ["beach", "kitchen"], 3);
  // Flatten into one folder, listed as Places365 lists its val images: "file class-index".
  const flat = join(dir, "val_256");
  await Deno.mkdir(flat);
  const lines: string[] = [];
  for (const [index, name] of ["kitchen", "beach"].entries()) {
    for (let k = 0; k < 3; k++) {
      await Deno.copyFile(join(scenes, name, `${k}.png`), join(flat, `${name}_${k}.png`));
      lines.push(`${name}_${k}.png ${index}`);
    }
  }
  await Deno.writeTextFile(join(dir, "val.txt"), lines.reverse().join("\n") + "\n");
  await Deno.writeTextFile(join(dir, "categories.txt"), "kitchen 0\nbeach 1\n");
  const path = join(dir, "config.json");
  const smoke = JSON.parse(await Deno.readTextFile("configs/smoke.json"));
  const val = {
    folder: flat,
    labels: "list",
    list: join(dir, "val.txt"),
    names: join(dir, "categories.txt"),
  };
  await Deno.writeTextFile(path, JSON.stringify({ ...smoke, name: "listed", data: { val } }));
  const store = join(dir, "store");
  const r = await reproduceOnly(path, store, "classify-val");
  assertEquals(r.code, 0, r.stderr);
  const items = await catalogRows<{ path: string; label_name: string }>(
    store,
    "SELECT path, label_name FROM images_val__items ORDER BY image",
  );
  assertEquals(
    items.map((i) => [i.path, i.label_name]),
    lines.map((l) => {
      const [file, index] = l.split(" ");
      return [file, ["kitchen", "beach"][Number(index)]];
    }),
  );
  const preds = await catalogRows<{ name: string; n: number }>(
    store,
    `SELECT c.name, count(*) AS n FROM classify_val__predictions p
     JOIN classify_val__classes c ON c.label = p.label GROUP BY ALL ORDER BY c.name`,
  );
  assertEquals(preds, [{ name: "beach", n: 3 }, { name: "kitchen", n: 3 }]);
  // perClass keeps the list's first images of each class.
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...smoke, name: "listed", data: { val: { ...val, perClass: 2 } } }),
  );
  const few = await reproduceOnly(path, store, "images-val");
  assertEquals(few.code, 0, few.stderr);
  const kept = await catalogRows<{ path: string }>(
    store,
    "SELECT path FROM images_val__items ORDER BY image",
  );
  const firstTwo = (name: string) => lines.filter((l) => l.startsWith(name)).slice(0, 2);
  assertEquals(
    kept.map((k) => k.path),
    lines.filter((l) => [...firstTwo("kitchen"), ...firstTwo("beach")].includes(l))
      .map((l) => l.split(" ")[0]),
  );
});

Deno.test("an image folder replaces world-train: units are ranked on the user's training images", async () => {
  await using tmp = await scratchDir();
  const dir = await tmp.subdir();
  const folder = join(dir, "train");
  // Every class of the classifier, as rank-units needs them in the model's order.
  await folderOfScenes(folder, [...SCENES].sort(), 2);
  const path = join(dir, "config.json");
  const smoke = JSON.parse(await Deno.readTextFile("configs/smoke.json"));
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      ...smoke,
      name: "trained-on-mine",
      data: { train: { folder, labels: "subfolders" } },
    }),
  );
  const store = join(dir, "store");
  const r = await runCli(["reproduce", "--config", path, "--store", store, "--only", "rank-units"]);
  assertEquals(r.code, 0, r.stderr);
  const counts = await catalogRows<{ images: number; classes: number }>(
    store,
    "SELECT max(images) AS images, count(DISTINCT label) AS classes FROM rank_units__counts",
  );
  assertEquals(counts, [{ images: 2 * SCENES.length, classes: SCENES.length }]);
  // Unlabeled training images are refused when the config is read.
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...smoke, data: { train: { folder, labels: "none" } } }),
  );
  const bad = await runCli(["reproduce", "--config", path, "--store", store]);
  assertEquals(bad.code, 2);
  assertMatch(bad.stderr, /training images need labels/);
});

Deno.test("an image folder replaces world-church: the generator is compared with the user's real images", async () => {
  const dir = await tempDir();
  try {
    const folder = join(dir, "church");
    await Deno.mkdir(folder);
    for (let i = 0; i < 10; i++) {
      const r = renderItem("church", splitItem("church", i, 7), 64);
      await Deno.writeFile(join(folder, `${i}.png`), encodePng(r.rgb, 64, 64));
    }
    const path = join(dir, "config.json");
    const smoke = JSON.parse(await Deno.readTextFile("configs/smoke.json"));
    const write = (size: number) =>
      Deno.writeTextFile(
        path,
        JSON.stringify({ ...smoke, name: "churches", data: { church: { folder, size } } }),
      );
    const store = join(dir, "store");
    const run = () =>
      runCli(["reproduce", "--config", path, "--store", store, "--only", "gan-distance"]);
    // Real images at another size than the generator's: refused, naming both sizes.
    await write(32);
    const bad = await run();
    assertEquals(bad.code, 1, bad.stderr);
    assertMatch(bad.stderr, /set a's images are 64x64 but set b's are 32x32/);
    await write(64);
    const r = await run();
    assertEquals(r.code, 0, r.stderr);
    const plan = JSON.parse(
      (await runCli(["reproduce", "--config", path, "--store", store, "--dry-run", "--json"]))
        .stdout,
    );
    const ids = plan.plan.map((n: { id: string }) => n.id);
    assert(ids.includes("images-church") && !ids.includes("world-church"), ids.join(" "));
    const distance = await catalogRows<{ n_b: number }>(
      store,
      "SELECT n_b FROM gan_distance__distance WHERE measure = 'kid_a_b'",
    );
    assertEquals(distance, [{ n_b: 10 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** `reproduce` of a config on a store, only `node` and what it needs. */
function reproduceOnly(config: string, store: string, node: string) {
  return runCli(["reproduce", "--config", config, "--store", store, "--only", node]);
}
