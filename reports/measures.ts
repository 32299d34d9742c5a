/**
 * The registry of claim measures, by claim id. A claim without an entry is
 * reported as "not yet measured", never with a made-up result.
 */
import type { ClaimMeasure } from "./measure.ts";

export const MEASURES: Record<string, ClaimMeasure> = {};
