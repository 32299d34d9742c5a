/**
 * The Broden reader on tiny hand-made Broden folders: images, classes and
 * per-category maps as the format defines them, and every broken input a
 * one-line error naming the file (and line) at fault.
 */
import sharp from "sharp";
import { assert, assertEquals, assertRejects } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { encodePng } from "./png.ts";
import { writeTree } from "../tests/helpers.ts";
import { type BrodenOptions, BrodenReader, scaleNearest } from "./broden.ts";

/** A w x h PNG whose pixel labels (R + 256·G) are `numbers`, row by row. */
function labelPng(w: number, h: number, numbers: number[]): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  numbers.forEach((n, p) => {
    rgb[3 * p] = n & 255;
    rgb[3 * p + 1] = n >> 8;
  });
  return encodePng(rgb, w, h);
}

/** A w x h RGB image whose bytes count up from `seed`. */
function pixels(w: number, h: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: w * h * 3 }, (_, i) => (seed + 7 * i) & 255);
}

/**
 * Two 4x4 val images with 2x2 label maps (scaled by 2 when read) and a train
 * row of another size that a val reader never looks at. Image 0 has two
 * object maps (the first dominant), a whole-image part label (300: G = 1)
 * and no material; image 1 has an object and a material map, and two scene
 * labels (the first is its class). Its color files do not exist: colors
 * are not read.
 */
function tinyBroden(): Record<string, string | Uint8Array> {
  return {
    "label.csv": [
      "number,name,category,frequency,coverage,syns",
      "1,sky,object(2),2,1.5,",
      "2,tree,object(1),1,0.75,",
      "300,window,object(1);part(1),2,1.25,pane;glass pane",
      "4,brick,material(1),1,0.5,",
      '5,beach,"scene(2)",2,2,',
      "6,street,scene(1),1,1,",
      "7,red-c,color(1),1,1,",
    ].join("\n") + "\n",
    "c_object.csv": "code,number,name,frequency,coverage\n1,1,sky,2,1.5\n2,2,tree,1,0.75\n" +
      "3,300,window,1,0.25\n",
    "c_part.csv": "code,number,name,frequency,coverage\n1,300,window,1,1\n",
    "c_material.csv": "code,number,name,frequency,coverage\n1,4,brick,1,0.5\n",
    "c_scene.csv": "code,number,name,frequency,coverage\n1,5,beach,2,2\n2,6,street,1,1\n",
    "index.csv": [
      "image,split,ih,iw,sh,sw,color,object,part,material,scene,texture",
      "a/0.png,val,4,4,2,2,a/0_color.png,a/0_object.png;a/0_object2.png,300,,5,",
      "a/1.png,val,4,4,2,2,,a/1_object.png,,a/1_material.png,6;5,",
      "b/2.png,train,8,8,8,8,,,,,,",
    ].join("\r\n") + "\r\n",
    "images/a/0.png": encodePng(pixels(4, 4, 0), 4, 4),
    "images/a/1.png": encodePng(pixels(4, 4, 100), 4, 4),
    "images/a/0_object.png": labelPng(2, 2, [1, 0, 300, 0]),
    "images/a/0_object2.png": labelPng(2, 2, [2, 2, 2, 0]),
    "images/a/1_object.png": labelPng(2, 2, [0, 0, 0, 1]),
    "images/a/1_material.png": labelPng(2, 2, [4, 4, 0, 0]),
  };
}

async function writeFolder(files: Record<string, string | Uint8Array>): Promise<string> {
  return await writeTree(await Deno.makeTempDir({ prefix: "dissect-test-broden-" }), files);
}

/** A 2x2 map scaled to the 4x4 image, as the reader scales it. */
const up = (map: number[]) => Array.from(scaleNearest(Uint8Array.from(map), 2, 2, 4, 4));

const VAL: BrodenOptions = { split: "val", labels: "scene" };
const NONE: BrodenOptions = { split: "val", labels: "none" };

Deno.test("a Broden split: images, scene classes and each category's classes, dominant label first", async () => {
  const dir = await writeFolder(tinyBroden());
  try {
    const reader = await BrodenReader.open(dir, VAL);
    assertEquals(reader.meta, {
      dir,
      split: "val",
      count: 2,
      height: 4,
      width: 4,
      segHeight: 2,
      segWidth: 2,
      objects: ["none", "sky", "tree", "window"],
      parts: ["none", "window"],
      materials: ["none", "brick"],
      labels: ["beach", "street"],
      categories: ["object", "part", "material"],
    });
    assertEquals(reader.images.map((im) => im.image), ["a/0.png", "a/1.png"]);
    const b = await reader.read(0, 2);
    assertEquals(b.images, Uint8Array.from([...pixels(4, 4, 0), ...pixels(4, 4, 100)]));
    assertEquals(Array.from(b.labels), [0, 1]);
    // Image 0: the first object map wins where it labels (sky, window); the second fills the rest.
    assertEquals(Array.from(b.object), [...up([1, 2, 3, 0]), ...up([0, 0, 0, 1])]);
    assertEquals(Array.from(b.part), [...new Array(16).fill(1), ...new Array(16).fill(0)]);
    assertEquals(Array.from(b.material), [...new Array(16).fill(0), ...up([1, 1, 0, 0])]);
    // Two stored pixels (4 image pixels) of the second map lost to the first.
    assertEquals(b.overlap, [2, 0]);
    assertEquals(up([1, 2, 3, 0]).slice(0, 8), [1, 1, 2, 2, 1, 1, 2, 2]);
    // Batches are the same read apart.
    const [one, two] = [await reader.read(0, 1), await reader.read(1, 2)];
    assertEquals([...one.object, ...two.object], [...b.object]);
    const unclassed = await BrodenReader.open(dir, { split: "val", labels: "none" });
    assertEquals(unclassed.meta.labels, ["image"]);
    assertEquals(Array.from((await unclassed.read(0, 2)).labels), [0, 0]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("frequent keeps each category's most frequent labels; more than 255 are read as 16-bit maps", async () => {
  const dir = await writeFolder(tinyBroden());
  try {
    // sky (2 images), then tree before window (1 each) by code; window reads as unlabeled.
    const reader = await BrodenReader.open(dir, { ...VAL, frequent: 2 });
    assertEquals(reader.meta.objects, ["none", "sky", "tree"]);
    const b = await reader.read(0, 1);
    assertEquals(Array.from(b.object), up([1, 2, 2, 0]));
    assertEquals(b.overlap, [1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const many = tinyBroden();
  const numbers = Array.from({ length: 256 }, (_, k) => 1000 + k);
  many["label.csv"] += numbers.map((n) => `${n},thing${n},object(1),1,0.1,\n`).join("");
  many["c_object.csv"] += numbers.map((n, k) => `${k + 4},${n},thing${n},1,0.1\n`).join("");
  const big = await writeFolder(many);
  try {
    const all = await BrodenReader.open(big, VAL);
    assertEquals(all.meta.objects.length, 260);
    const wide = await all.read(0, 1);
    assert(wide.object instanceof Uint16Array, "259 objects and none need 16 bits");
    assertEquals(Array.from(wide.object), up([1, 2, 3, 0]));
    const kept = await BrodenReader.open(big, { ...VAL, frequent: 255 });
    assertEquals(kept.meta.objects.length, 256);
    assertEquals(kept.meta.objects.slice(0, 3), ["none", "sky", "tree"]);
    assert((await kept.read(0, 1)).object instanceof Uint8Array, "255 objects and none fit bytes");
  } finally {
    await Deno.remove(big, { recursive: true });
  }
});

/** `fn` rejects with a one-line DissectError whose message includes `includes`. */
async function rejects(fn: () => Promise<unknown>, includes: string): Promise<void> {
  await assertRejects(fn, (e) => {
    assert(e instanceof DissectError, String(e));
    assert(e.message.includes(includes), `"${e.message}" does not include "${includes}"`);
    assert(!e.message.includes("\n"), e.message);
  });
}

const gray = await sharp(new Uint8Array(4), { raw: { width: 2, height: 2, channels: 1 } })
  .toColourspace("b-w").png().toBuffer();
const jpeg = await sharp(new Uint8Array(12), { raw: { width: 2, height: 2, channels: 3 } }).jpeg()
  .toBuffer();

/** Broken folders: what is changed (null removes a file), and what the error says. */
const BROKEN: [string, Record<string, string | Uint8Array | null>, string, BrodenOptions?][] = [
  ["no index.csv", { "index.csv": null }, "index.csv: not found"],
  ["no label.csv", { "label.csv": null }, "label.csv: not found"],
  ["no c_part.csv", { "c_part.csv": null }, "c_part.csv: not found"],
  [
    "an index without sw",
    { "index.csv": "image,split,ih,iw,sh,object\na/0.png,val,4,4,2,\n" },
    'index.csv: no column "sw"',
  ],
  [
    "a pixel label not in label.csv",
    { "images/a/1_object.png": labelPng(2, 2, [0, 999, 0, 0]) },
    "a/1_object.png: label 999 is not in label.csv",
  ],
  [
    "a pixel label of another category",
    { "images/a/1_object.png": labelPng(2, 2, [0, 4, 0, 0]) },
    'a/1_object.png: label 4 ("brick") is not among the object labels of c_object.csv',
  ],
  [
    "a whole-image label of another category",
    { "index.csv": "image,split,ih,iw,sh,sw,object\na/0.png,val,4,4,2,2,6\n" },
    'index.csv, line 2: label 6 ("street") is not among the object labels',
    NONE,
  ],
  [
    "an image of the wrong size",
    { "images/a/1.png": encodePng(pixels(3, 3, 0), 3, 3) },
    "a/1.png: image is 3x3; index.csv line 3 says 4x4",
  ],
  [
    "a label map of the wrong size",
    { "images/a/1_material.png": labelPng(3, 3, new Array(9).fill(4)) },
    "a/1_material.png: label map is 3x3; index.csv line 3 says 2x2",
  ],
  ["a missing image", { "images/a/1.png": null }, "a/1.png: not found (index.csv line 3)"],
  ["a missing label map", { "images/a/0_object2.png": null }, "a/0_object2.png: not found"],
  [
    "a corrupt image",
    { "images/a/0.png": new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) },
    "a/0.png: cannot decode",
  ],
  [
    "a grayscale label map",
    { "images/a/1_material.png": new Uint8Array(gray) },
    "a/1_material.png: label map is a png of 1 channel(s) of uchar; labels are R + 256·G",
  ],
  [
    "a JPEG label map",
    { "images/a/1_material.png": new Uint8Array(jpeg) },
    "a/1_material.png: label map is a jpeg of 3 channel(s)",
  ],
  [
    "an image that is not square",
    { "index.csv": "image,split,ih,iw,sh,sw,object\na/0.png,val,4,5,4,5,\n" },
    "index.csv, line 2: image is 5x4; dissection needs square images",
    NONE,
  ],
  [
    "images of two sizes",
    { "index.csv": "image,split,ih,iw,sh,sw,object\na/0.png,val,4,4,2,2,\na/1.png,val,4,4,4,4,\n" },
    "index.csv, line 3: sh is 4, line 2's is 2; the images of a split must be of one size",
    NONE,
  ],
  [
    "a size that is not a number",
    { "index.csv": "image,split,ih,iw,sh,sw,object\na/0.png,val,four,4,2,2,\n" },
    'index.csv, line 2: ih "four" is not an integer >= 1',
    NONE,
  ],
  [
    "an image outside images/",
    { "index.csv": "image,split,ih,iw,sh,sw,object\n../0.png,val,4,4,2,2,\n" },
    'index.csv, line 2: image "../0.png" is not a path under images/',
    NONE,
  ],
  [
    "a gap in the codes",
    { "c_object.csv": "code,number,name,frequency,coverage\n1,1,sky,2,1\n3,2,tree,1,1\n" },
    "c_object.csv: code 2 is missing (codes run 1..N)",
  ],
  [
    "a code whose name differs from label.csv's",
    { "c_object.csv": "code,number,name,frequency,coverage\n1,1,skies,2,1\n" },
    'c_object.csv, line 2: label 1 is "skies" here, "sky" in label.csv',
  ],
  [
    "a code of a label not in label.csv",
    { "c_object.csv": "code,number,name,frequency,coverage\n1,77,moon,2,1\n" },
    "c_object.csv, line 2: label 77 is not in label.csv",
  ],
  [
    "a label listed twice",
    {
      "label.csv":
        "number,name,category,frequency,coverage,syns\n1,sky,object(1),1,1,\n1,sea,,1,1,\n",
    },
    "label.csv, line 3: label 1 is listed twice",
  ],
  [
    "a malformed category",
    { "label.csv": "number,name,category,frequency,coverage,syns\n1,sky,object,1,1,\n" },
    'label.csv, line 2: category "object" is not "name(images)"',
  ],
  ["a split with no images", {}, 'no image in split "test" (splits: val, train)', {
    ...NONE,
    split: "test",
  }],
  [
    "an image without a scene when classes are scenes",
    { "index.csv": "image,split,ih,iw,sh,sw,object,scene\na/0.png,val,4,4,2,2,,\n" },
    "index.csv, line 2: no scene label, and classes are scenes",
  ],
  [
    "a scene not in c_scene.csv",
    { "index.csv": "image,split,ih,iw,sh,sw,object,scene\na/0.png,val,4,4,2,2,,7\n" },
    "index.csv, line 2: scene 7 is not in c_scene.csv",
  ],
  [
    "classes by scene without a scene column",
    { "index.csv": "image,split,ih,iw,sh,sw,object\na/0.png,val,4,4,2,2,\n" },
    'index.csv: no "scene" column',
  ],
  [
    "no per-pixel category",
    { "index.csv": "image,split,ih,iw,sh,sw,scene\na/0.png,val,4,4,2,2,5\n" },
    "index.csv: no object, part, material column",
  ],
];

for (const [what, changes, message, opts] of BROKEN) {
  Deno.test(`a Broden folder with ${what} is refused in one line naming it`, async () => {
    const files = tinyBroden();
    for (const [name, body] of Object.entries(changes)) {
      if (body === null) delete files[name];
      else files[name] = body;
    }
    const dir = await writeFolder(files);
    try {
      await rejects(async () => {
        const reader = await BrodenReader.open(dir, opts ?? VAL);
        await reader.read(0, reader.meta.count);
      }, message);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a folder that does not exist is refused", async () => {
  await rejects(() => BrodenReader.open("/nonexistent/broden", VAL), "no such folder");
});
