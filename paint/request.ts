/**
 * A paint request from the page, checked before anything runs: a stored
 * sample, and strokes of palette concepts in the image's pixel coordinates.
 * Every problem becomes a RequestError with a status and a sentence the page
 * can show; nothing a client sends can make the server throw otherwise.
 */
import { z } from "zod";
import { strokeCells } from "./brush.ts";
import type { Stroke } from "./painter.ts";

/** Bounds on one paint request. */
export const LIMITS = {
  /** Request bodies above this are refused unread (413). */
  bodyBytes: 1 << 20,
  strokes: 500,
  pointsPerStroke: 5000,
  /** Pixels the brush may visit per request (each segment visits its box): bounds a request's CPU. */
  brushPixels: 4_000_000,
  /** A request body must arrive within this many milliseconds (408 after it). */
  bodyMs: 10_000,
  /** Paint requests in progress at once; more get 503 with Retry-After. */
  queue: 4,
} as const;

/**
 * Pixels the brush visits for a stroke: each segment's box (the segment's
 * extent grown by the radius), clipped to the image.
 */
export function brushWork(
  points: readonly [number, number][],
  radius: number,
  size: number,
): number {
  const pairs = points.length === 1
    ? [[points[0], points[0]]]
    : points.slice(1).map((b, i) => [points[i], b]);
  let work = 0;
  for (const [[ax, ay], [bx, by]] of pairs) {
    const w = Math.min(size, Math.abs(bx - ax) + 2 * radius + 2);
    const h = Math.min(size, Math.abs(by - ay) + 2 * radius + 2);
    work += w * h;
  }
  return work;
}

/** A malformed or out-of-range request (a 4xx). */
export class RequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "RequestError";
  }
}

const PaintRequest = z.strictObject({
  /** Index of a stored sample (latent) of the generate stage. */
  sample: z.int().min(0),
  strokes: z.array(z.strictObject({
    concept: z.string().min(1).max(200),
    mode: z.enum(["draw", "erase"]),
    /** Brush radius in image pixels. */
    radius: z.number().positive(),
    /** The stroke's path, [x, y] in image pixels (0 to size). */
    points: z.array(z.tuple([z.number(), z.number()])).min(1).max(LIMITS.pointsPerStroke),
  })).max(LIMITS.strokes),
});

/** What a request is checked against: the painter's palette and sizes. */
export interface PaintTarget {
  samples: number;
  grid: { h: number; w: number; size: number };
  concept(name: string): unknown;
  palette: { name: string }[];
}

/** Validates a paint request's JSON body. */
export function parsePaintRequest(
  raw: unknown,
  target: PaintTarget,
): { sample: number; strokes: Stroke[] } {
  const parsed = PaintRequest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.join(".") || "the request";
    throw new RequestError(400, `${at}: ${issue.message}`);
  }
  const { sample, strokes } = parsed.data;
  const { h, w, size } = target.grid;
  if (sample >= target.samples) {
    throw new RequestError(
      400,
      `sample ${sample} does not exist: there are ${target.samples} (0 to ${target.samples - 1})`,
    );
  }
  const work = strokes.reduce((t, s) => t + brushWork(s.points, s.radius, size), 0);
  if (work > LIMITS.brushPixels) {
    throw new RequestError(
      413,
      `the strokes would visit ${work} brush pixels, over the limit of ${LIMITS.brushPixels}; ` +
        "send fewer or shorter strokes, or a smaller radius",
    );
  }
  return {
    sample,
    strokes: strokes.map((s, i) => {
      if (!target.concept(s.concept)) {
        throw new RequestError(
          400,
          `strokes.${i}: unknown concept "${s.concept}"; the palette has ${
            target.palette.map((c) => c.name).join(", ")
          }`,
        );
      }
      if (s.radius > size) {
        throw new RequestError(400, `strokes.${i}: radius ${s.radius} exceeds the image (${size})`);
      }
      const out = s.points.findIndex(([x, y]) => !(x >= 0 && x <= size && y >= 0 && y <= size));
      if (out >= 0) {
        const [x, y] = s.points[out];
        throw new RequestError(
          400,
          `strokes.${i}: point (${x}, ${y}) is outside the ${size}x${size} image`,
        );
      }
      return {
        concept: s.concept,
        mode: s.mode,
        cells: strokeCells(s.points, s.radius, size, h, w),
      };
    }),
  };
}
