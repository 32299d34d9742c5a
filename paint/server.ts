/**
 * The paint page's HTTP handler: the static page, the palette, and painting.
 *   GET  /             the page (static HTML, JS and CSS from paint/static/)
 *   GET  /api/palette  concepts, sizes and limits, as JSON
 *   POST /api/paint    {sample, strokes} -> the painted image, PNG
 * HEAD answers as GET, without the body. Errors are JSON {error} with a 4xx
 * status for what the client got wrong (a body that breaks off or stalls
 * past its deadline included), 503 with Retry-After when too many paint
 * requests are in progress, and 500 for the rest; the handler never throws,
 * so one bad request cannot take the server down.
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

/** How long a body may take and how many paint requests may be in progress (tests shorten them). */
export interface ServerLimits {
  bodyMs: number;
  queue: number;
}

/** The HTTP handler of the paint page. */
export function paintHandler(
  painter: Painter,
  info: PaintInfo,
  assets: Map<string, StaticAsset>,
  log: (message: string) => void = console.error,
  limits: ServerLimits = LIMITS,
): (req: Request) => Promise<Response> {
  let inProgress = 0;
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
        return get(req, new Response(asset.body, { headers: { "content-type": asset.type } }));
      }
      if (path === "/api/palette") {
        allow(req, "GET");
        return get(req, Response.json(palette));
      }
      if (path === "/api/paint") {
        allow(req, "POST");
        if (inProgress >= limits.queue) {
          await req.body?.cancel().catch(() => {});
          return Response.json(
            { error: `${inProgress} paint requests are in progress; try again in a moment` },
            { status: 503, headers: { "retry-after": "1" } },
          );
        }
        inProgress++;
        try {
          const body = await readJson(req, limits.bodyMs);
          const { sample, strokes } = parsePaintRequest(body, painter);
          const { rgb, size } = await painter.paint(sample, strokes);
          // encodePng allocates its own ArrayBuffer (never shared memory).
          const png = encodePng(rgb, size, size) as Uint8Array<ArrayBuffer>;
          return new Response(png, {
            headers: { "content-type": "image/png", "cache-control": "no-store" },
          });
        } finally {
          inProgress--;
        }
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
  if (req.method !== method && !(method === "GET" && req.method === "HEAD")) {
    throw new RequestError(405, `${req.method} is not allowed here; use ${method}`);
  }
}

/** A GET response, or for HEAD the same headers without the body. */
function get(req: Request, res: Response): Response {
  return req.method === "HEAD" ? new Response(null, { headers: res.headers }) : res;
}

/**
 * The body as JSON, refusing bodies over the limit whether or not they
 * declare a length, bodies that break off (400), and bodies that have not
 * arrived within `deadlineMs` (408; the stream is cancelled and the paint
 * slot freed).
 */
async function readJson(req: Request, deadlineMs: number): Promise<unknown> {
  const type = req.headers.get("content-type") ?? "";
  if (!type.includes("json")) {
    throw new RequestError(415, `send JSON (content-type: application/json), not "${type}"`);
  }
  const tooBig = new RequestError(413, `the request is over ${LIMITS.bodyBytes} bytes`);
  if (Number(req.headers.get("content-length") ?? 0) > LIMITS.bodyBytes) throw tooBig;
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (req.body) {
    const reader = req.body.getReader();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new RequestError(408, `the request body did not arrive within ${deadlineMs} ms`)),
        deadlineMs,
      );
    });
    try {
      while (true) {
        const { done, value } = await Promise.race([reader.read(), late]);
        if (done) break;
        total += value.length;
        if (total > LIMITS.bodyBytes) throw tooBig;
        chunks.push(value);
      }
    } catch (e) {
      await reader.cancel().catch(() => {});
      if (e instanceof RequestError) throw e;
      throw new RequestError(
        400,
        `the request body could not be read: ${(e as Error).message}`,
      );
    } finally {
      clearTimeout(timer);
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
