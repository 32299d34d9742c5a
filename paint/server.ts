/**
 * The paint page's HTTP handler: the static page, the palette, and painting.
 *   GET  /             the page (static HTML, JS and CSS from paint/static/)
 *   GET  /api/palette  concepts, sizes and limits, as JSON
 *   POST /api/paint    {sample, strokes} -> the painted image, PNG
 * Errors are JSON {error} with a 4xx status for what the client got wrong and
 * 500 for the rest; the handler never throws, so one bad request cannot take
 * the server down.
 */
import { encodePng } from "../data/png.ts";
import type { Painter } from "./painter.ts";
import { LIMITS, parsePaintRequest, RequestError } from "./request.ts";

/** A file the page needs, served from memory. */
export interface StaticAsset {
  type: string;
  body: string;
}

const STATIC_FILES: Record<string, [string, string]> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/index.html": ["index.html", "text/html; charset=utf-8"],
  "/paint.js": ["paint.js", "text/javascript; charset=utf-8"],
  "/paint.css": ["paint.css", "text/css; charset=utf-8"],
};

/** The page's files, read once at start. */
export async function loadStatic(): Promise<Map<string, StaticAsset>> {
  const out = new Map<string, StaticAsset>();
  for (const [path, [file, type]] of Object.entries(STATIC_FILES)) {
    out.set(path, {
      type,
      body: await Deno.readTextFile(new URL(`./static/${file}`, import.meta.url)),
    });
  }
  return out;
}

/** What the page is told at load: the edited layer and the run the palette comes from. */
export interface PaintInfo {
  layer: string;
  run: { config: string; runId: string };
}

/** The HTTP handler of the paint page. */
export function paintHandler(
  painter: Painter,
  info: PaintInfo,
  assets: Map<string, StaticAsset>,
  log: (message: string) => void = console.error,
): (req: Request) => Promise<Response> {
  const palette = {
    layer: info.layer,
    run: info.run,
    ...painter.grid,
    samples: painter.samples,
    boost: painter.boost,
    limits: LIMITS,
    concepts: painter.palette.map((c) => ({
      name: c.name,
      category: c.category,
      units: c.units.length,
      bestIou: c.units[0]?.iou ?? 0,
    })),
  };
  return async (req) => {
    const path = new URL(req.url).pathname;
    try {
      const asset = assets.get(path);
      if (asset) {
        allow(req, "GET");
        return new Response(asset.body, { headers: { "content-type": asset.type } });
      }
      if (path === "/api/palette") {
        allow(req, "GET");
        return Response.json(palette);
      }
      if (path === "/api/paint") {
        allow(req, "POST");
        const { sample, strokes } = parsePaintRequest(await readJson(req), painter);
        const { rgb, size } = await painter.paint(sample, strokes);
        // encodePng allocates its own ArrayBuffer (never shared memory).
        const png = encodePng(rgb, size, size) as Uint8Array<ArrayBuffer>;
        return new Response(png, {
          headers: { "content-type": "image/png", "cache-control": "no-store" },
        });
      }
      throw new RequestError(404, `no such page: ${path}`);
    } catch (e) {
      if (e instanceof RequestError) {
        return Response.json({ error: e.message }, { status: e.status });
      }
      log(`paint: ${req.method} ${path} failed: ${(e as Error).stack ?? e}`);
      return Response.json({ error: `the server failed: ${(e as Error).message}` }, {
        status: 500,
      });
    }
  };
}

function allow(req: Request, method: string): void {
  if (req.method !== method) {
    throw new RequestError(405, `${req.method} is not allowed here; use ${method}`);
  }
}

/** The body as JSON, refusing bodies over the limit, whether or not they declare a length. */
async function readJson(req: Request): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!type.includes("json")) {
    throw new RequestError(415, `send JSON (content-type: application/json), not "${type}"`);
  }
  const tooBig = new RequestError(413, `the request is over ${LIMITS.bodyBytes} bytes`);
  if (Number(req.headers.get("content-length") ?? 0) > LIMITS.bodyBytes) throw tooBig;
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (req.body) {
    for await (const chunk of req.body) {
      total += chunk.length;
      if (total > LIMITS.bodyBytes) throw tooBig;
      chunks.push(chunk);
    }
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new RequestError(400, `the request is not valid JSON: ${(e as Error).message}`);
  }
}
