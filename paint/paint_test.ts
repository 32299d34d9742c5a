/**
 * The painting module on the toy generator (an 8x8 layer of 3 units,
 * nearest-upsampled to the image, so an edit of a cell changes exactly its
 * 8x8 pixels), and the server's answers to bad requests.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects, assertThrows } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { connect } from "../engine/duck.ts";
import type { ArtifactRef } from "../engine/stage.ts";
import { tinyGenerator } from "../tests/fixtures/models.ts";
import { scratchDir } from "../tests/helpers.ts";
import { normalLatents } from "../stats/normal.ts";
import { cellPixels, countInRegion, outlineRegion, regionCells, strokeCells } from "./brush.ts";
import { applyEdits, Painter } from "./painter.ts";
import { buildPalette, type PaletteConcept } from "./palette.ts";
import { LIMITS } from "./request.ts";
import { loadStatic, paintHandler, type ServerLimits } from "./server.ts";

const PALETTE: PaletteConcept[] = [
  {
    name: "tree",
    category: "object",
    area: 100,
    units: [{ unit: 1, iou: 0.2, threshold: 6 }, { unit: 0, iou: 0.1, threshold: -6 }],
  },
  { name: "sky", category: "object", area: 50, units: [{ unit: 2, iou: 0.3, threshold: 6 }] },
];

/** The paint handler over a painter, logging into `logged`, with the server's limits or `limits`. */
async function toyHandler(painter: Painter, logged: string[] = [], limits?: ServerLimits) {
  return paintHandler(
    painter,
    { layer: "layer1", run: { config: "toy", runId: "r" } },
    await loadStatic(),
    (m) => logged.push(m),
    limits,
  );
}

/** A painter of the toy generator at `boost`, its model and latents written in `dir`. */
async function openToy(dir: string, boost = 1): Promise<Painter> {
  const model = join(dir, "generator.onnx");
  await Deno.writeFile(model, tinyGenerator());
  const latents = join(dir, "latents.f32");
  await Deno.writeFile(latents, new Uint8Array(normalLatents(1, 0, 3, 16).buffer));
  return await Painter.open({
    generator: "toy generator",
    file: model,
    latents,
    layer: "layer1",
    palette: PALETTE,
    boost,
    threads: 1,
  });
}

Deno.test("strokes and regions map to the cells they cover", () => {
  // A horizontal stroke along the middle of row 3 of an 8x8 grid over 64 pixels.
  const marked = (cells: Uint8Array) => [...cells.keys()].filter((c) => cells[c]);
  assertEquals(marked(strokeCells([[12, 28], [36, 28]], 4, 64, 8, 8)), [25, 26, 27, 28]);
  // Its round end covers 39% of the next cell: that cell counts too (25% or more).
  assertEquals(marked(strokeCells([[8, 28], [36, 28]], 4, 64, 8, 8)), [24, 25, 26, 27, 28]);
  // Grazing a cell (the band y 28 +- 3 stays in row 3) leaves the rows beside it alone.
  assertEquals(marked(strokeCells([[12, 28], [36, 28]], 3, 64, 8, 8)), [25, 26, 27, 28]);
  // A click with a tiny brush still paints the cell under it.
  assertEquals([...strokeCells([[60, 2]], 0.1, 64, 8, 8).keys()].filter((c) => c === 7).length, 1);
  const region = regionCells([0.25, 0.25, 0.75, 0.75], 8, 8);
  assertEquals(region.reduce((s, v) => s + v, 0), 16);
  assertEquals(region[2 * 8 + 2], 1);
  assertEquals(region[1 * 8 + 2], 0);
  const pixels = cellPixels(region, 8, 8, 64);
  assertEquals(pixels.reduce((s, v) => s + v, 0), 32 * 32);
  assertEquals([pixels[16 * 64 + 16], pixels[15 * 64 + 16], pixels[47 * 64 + 47]], [1, 0, 1]);
});

Deno.test("edits apply in order: the later stroke wins, erasing zeroes", () => {
  const grid = { units: 2, h: 1, w: 2 };
  const acts = Float32Array.from([1, 2, 3, 4]);
  applyEdits(acts, 0, grid, [
    { units: [0, 1], values: [9, 8], cells: Uint8Array.from([1, 1]) },
    { units: [1], values: null, cells: Uint8Array.from([0, 1]) },
  ]);
  assertEquals([...acts], [9, 9, 8, 0]);
});

Deno.test("painting changes the image exactly under the stroke's cells", async () => {
  await using tmp = await scratchDir("dissect-paint-");
  const painter = await openToy(tmp.path, 2);
  try {
    assertEquals(painter.grid, { units: 3, h: 8, w: 8, size: 64 });
    const plain = await painter.paint(1, []);
    const cells = regionCells([0, 0, 0.25, 0.5], 8, 8); // rows 0-1, columns 0-3
    const drawn = await painter.paint(1, [{ concept: "tree", mode: "draw", cells }]);
    const inside = cellPixels(cells, 8, 8, 64);
    for (let p = 0; p < 64 * 64; p++) {
      const same = [0, 1, 2].every((c) => drawn.rgb[p * 3 + c] === plain.rgb[p * 3 + c]);
      if (!inside[p]) assert(same, `pixel ${p} outside the stroke changed`);
      else {
        // Unit 1 (green) at 2 x 6 and unit 0 (red) at 2 x -6, through the sigmoid.
        assertEquals([drawn.rgb[p * 3], drawn.rgb[p * 3 + 1]], [0, 255]);
      }
    }
    // Erasing the same cells after drawing zeroes the units: sigmoid(0) is mid-grey.
    const erased = await painter.paint(1, [
      { concept: "tree", mode: "draw", cells },
      { concept: "tree", mode: "erase", cells },
    ]);
    assertEquals([erased.rgb[0], erased.rgb[1]], [128, 128]);
    // Copies of a batch: copy 0 unedited, copy 1 drawn, for each sample.
    const batch = await painter.render(await painter.layer(0, 2), [
      [],
      [{ concept: "tree", mode: "draw", cells }],
    ]);
    const px = 64 * 64 * 3;
    assertEquals(batch.rgb.slice(px, 2 * px), plain.rgb);
    assertEquals(batch.rgb.slice(3 * px, 4 * px), drawn.rgb);
  } finally {
    await painter.release();
  }
});

Deno.test("the server answers bad requests with a JSON error and keeps painting", async () => {
  await using tmp = await scratchDir("dissect-paint-");
  const painter = await openToy(tmp.path);
  const logged: string[] = [];
  const handler = await toyHandler(painter, logged);
  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    handler(
      new Request("http://x/api/paint", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body,
      }),
    );
  const paint = (request: unknown) => post(JSON.stringify(request));
  const stroke = { concept: "tree", mode: "draw", radius: 4, points: [[10, 10], [30, 12]] };
  const expectError = async (res: Response, status: number, message: RegExp) => {
    assertEquals(res.status, status);
    assertMatch(res.headers.get("content-type") ?? "", /json/);
    assertMatch((await res.json()).error, message);
  };
  try {
    const ok = await paint({ sample: 0, strokes: [stroke] });
    assertEquals(ok.status, 200);
    assertEquals(ok.headers.get("content-type"), "image/png");
    assertEquals([...new Uint8Array(await ok.arrayBuffer()).slice(1, 4)], [80, 78, 71]);

    await expectError(
      await paint({ sample: 0, strokes: [{ ...stroke, concept: "dragon" }] }),
      400,
      /strokes\.0: unknown concept "dragon"; the palette has tree, sky/,
    );
    await expectError(
      await paint({ sample: 0, strokes: [{ ...stroke, points: [[10, 10], [70, 10]] }] }),
      400,
      /point \(70, 10\) is outside the 64x64 image/,
    );
    await expectError(
      await paint({ sample: 0, strokes: [{ ...stroke, points: [[-1, 3]] }] }),
      400,
      /outside the 64x64 image/,
    );
    await expectError(await paint({ sample: 3, strokes: [] }), 400, /sample 3 does not exist/);
    await expectError(await paint({ sample: 0.5, strokes: [] }), 400, /^sample: /);
    await expectError(
      await paint({ sample: 0, strokes: [{ ...stroke, mode: "smudge" }] }),
      400,
      /^strokes\.0\.mode: /,
    );
    await expectError(await paint({ sample: 0, strokes: [], extra: 1 }), 400, /extra/);
    await expectError(await post("{not json"), 400, /not valid JSON/);
    await expectError(await post("{}", { "content-type": "text/plain" }), 415, /send JSON/);
    const big = "x".repeat(LIMITS.bodyBytes + 1);
    await expectError(await post(big), 413, /over/);
    // A body streamed without a length is cut off at the limit too.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 3; i++) c.enqueue(new Uint8Array(LIMITS.bodyBytes / 2));
        c.close();
      },
    });
    await expectError(await post(chunks), 413, /over/);
    await expectError(
      await handler(new Request("http://x/api/paint")),
      405,
      /GET is not allowed here; use POST/,
    );
    await expectError(await handler(new Request("http://x/nope")), 404, /no such page/);

    const palette = await (await handler(new Request("http://x/api/palette"))).json();
    assertEquals(palette.concepts.map((c: { name: string }) => c.name), ["tree", "sky"]);
    assertEquals([palette.h, palette.w, palette.size, palette.samples], [8, 8, 64, 3]);
    const page = await handler(new Request("http://x/"));
    assertMatch(await page.text(), /<script type="module" src="paint.js">/);
    // After all that, painting still works and nothing was logged as a failure.
    assertEquals((await paint({ sample: 2, strokes: [] })).status, 200);
    assertEquals(logged, []);
  } finally {
    await painter.release();
  }
});

Deno.test("a class is counted inside and outside the region; the outline hugs it from outside", () => {
  // A 3x3 image whose center pixel is the region.
  const inside = Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0);
  const map = Uint8Array.of(9, 2, 2, 0, 0, 2, 0, 0, 0, 2);
  assertEquals(countInRegion(map, 1, 9, inside, 2), [1, 3]);
  const rgb = outlineRegion(new Uint8Array(27), inside, 3);
  const yellow = [...Array(9).keys()].filter((p) => rgb[p * 3] === 255);
  assertEquals(yellow, [1, 3, 5, 7]);
});

Deno.test("the server reads bodies with a deadline, answers HEAD, bounds work and queues", async () => {
  await using tmp = await scratchDir("dissect-paint-");
  const painter = await openToy(tmp.path);
  const logged: string[] = [];
  const handler = await toyHandler(painter, logged, { bodyMs: 300, queue: 1 });
  const post = (body: BodyInit) =>
    handler(
      new Request("http://x/api/paint", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      }),
    );
  const stroke = { concept: "tree", mode: "draw", radius: 4, points: [[10, 10], [30, 12]] };
  let cancelled = false;
  const stalled = () =>
    new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"sample": 0,'));
      },
      cancel() {
        cancelled = true;
      },
    });
  try {
    // A body that breaks off mid-way (a dropped client, a malformed chunk) is a 400.
    const broken = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"sample": 0,'));
        c.error(new Error("connection reset"));
      },
    });
    const res400 = await post(broken);
    assertEquals(res400.status, 400);
    assertMatch((await res400.json()).error, /body could not be read: connection reset/);

    // A body that stalls is a 408 at the deadline, and its stream is cancelled.
    const t0 = performance.now();
    const res408 = await post(stalled());
    const waited = performance.now() - t0;
    assertEquals(res408.status, 408);
    assertMatch((await res408.json()).error, /did not arrive within 300 ms/);
    assert(waited >= 280 && waited < 5000, `answered after ${waited} ms`);
    assert(cancelled, "the stalled body is cancelled");

    // HEAD answers as GET, without the body.
    for (const path of ["/", "/api/palette"]) {
      const head = await handler(new Request(`http://x${path}`, { method: "HEAD" }));
      const getRes = await handler(new Request(`http://x${path}`));
      assertEquals(head.status, 200);
      assertEquals(head.headers.get("content-type"), getRes.headers.get("content-type"));
      assertEquals(await head.text(), "");
      assert((await getRes.text()).length > 0);
    }

    // Work is bounded: many wide strokes are refused before any is drawn.
    const zigzag = Array.from({ length: 20 }, (_, i) => (i % 2 ? [64, 64] : [0, 0]));
    const wide = { ...stroke, radius: 60, points: zigzag };
    const res413 = await post(JSON.stringify({ sample: 0, strokes: Array(400).fill(wide) }));
    assertEquals(res413.status, 413);
    assertMatch((await res413.json()).error, /would visit \d+ brush pixels, over the limit/);

    // While one paint request is in progress (queue of 1), the next gets 503 with Retry-After.
    const slow = post(stalled());
    const busy = await post(JSON.stringify({ sample: 0, strokes: [stroke] }));
    assertEquals(busy.status, 503);
    assertEquals(busy.headers.get("retry-after"), "1");
    await busy.body?.cancel();
    assertEquals((await slow).status, 408);
    // The slot is free again.
    assertEquals((await post(JSON.stringify({ sample: 0, strokes: [stroke] }))).status, 200);
    assertEquals(logged, []);
  } finally {
    await painter.release();
  }
});

Deno.test("over TCP, a request that declares a length and sends less is answered 408 at the deadline", async () => {
  // Deno.serve keeps the connection itself (it offers no way to close one); what matters is
  // that the handler answers, frees its slot and cancels the body at the deadline.
  await using tmp = await scratchDir("dissect-paint-");
  const painter = await openToy(tmp.path);
  const handler = await toyHandler(painter, [], { bodyMs: 300, queue: 4 });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
  const conn = await Deno.connect({ port: server.addr.port, hostname: "127.0.0.1" });
  try {
    await conn.write(
      new TextEncoder().encode(
        "POST /api/paint HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
          'content-length: 100\r\n\r\n{"sample": 0,',
      ),
    );
    const t0 = performance.now();
    let text = "";
    const buf = new Uint8Array(4096);
    const giveUp = setTimeout(() => conn.close(), 5000);
    try {
      // Until the whole JSON answer has arrived (or 5 s pass and the read fails).
      while (!/\r\n\r\n\{.*\}$/s.test(text)) {
        const n = await conn.read(buf);
        if (n === null) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
    } catch { /* closed by giveUp */ }
    clearTimeout(giveUp);
    const waited = performance.now() - t0;
    assertMatch(text, /^HTTP\/1\.1 408/, `got: ${JSON.stringify(text)}`);
    assertMatch(text, /did not arrive within 300 ms/);
    assert(waited < 4500, `answered after ${waited} ms`);
  } finally {
    try {
      conn.close();
    } catch { /* already closed */ }
    await server.shutdown();
    await painter.release();
  }
});

Deno.test("a region that holds no cell's center is refused, naming it", () => {
  assertThrows(
    () => regionCells([0.5, 0.5, 0.55, 0.55], 8, 8),
    DissectError,
    "region [0.5,0.5,0.55,0.55] holds the center of no 8x8 cell",
  );
});

Deno.test("a palette with no concept at the layer is refused: nothing to paint, nothing to measure", async () => {
  await using tmp = await scratchDir();
  const dir = tmp.path;
  const conn = await connect();
  const file = (name: string) => join(dir, `${name}.parquet`);
  await conn.run(`COPY (SELECT 'layer4' AS layer, 3 AS unit, 1 AS concept, 10 AS intersection,
    20 AS unit_area, 30 AS concept_area, 0.25 AS iou) TO '${
    file("unit_concept")
  }' (FORMAT parquet)`);
  await conn.run(`COPY (SELECT 1 AS concept, 'tree' AS name, 'object' AS category)
    TO '${file("concepts")}' (FORMAT parquet)`);
  await conn.run(
    `COPY (SELECT 'layer4' AS layer, 3 AS unit, 1.5 AS threshold, 0.01 AS fraction_above)
    TO '${file("thresholds")}' (FORMAT parquet)`,
  );
  conn.closeSync();
  const ref = (node: string) => ({ node, table: file }) as unknown as ArtifactRef;
  const found = await buildPalette(ref("iou-gan"), ref("quantile-gan"), {
    layer: "layer4",
    concepts: 5,
    units: 2,
  });
  assertEquals(found.map((c) => [c.name, c.units.map((u) => u.unit)]), [["tree", [3]]]);
  await assertRejects(
    () =>
      buildPalette(ref("iou-gan"), ref("quantile-gan"), { layer: "layer9", concepts: 5, units: 2 }),
    (e) => assertMatch(e.message, /^iou-gan found no unit of layer9 overlapping an object/),
  );
});
