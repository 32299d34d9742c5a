/**
 * The registry of claim measures, by claim id. A claim without an entry is
 * reported as "not yet measured", never with a made-up result.
 */
import type { ClaimMeasure } from "./measure.ts";
import type { ExtraPage } from "./build.ts";
import { generatorPage } from "./pages/generator.ts";
import { M1 } from "./claims/M1.ts";
import { M2 } from "./claims/M2.ts";
import { C1 } from "./claims/C1.ts";
import { C2 } from "./claims/C2.ts";
import { C8 } from "./claims/C8.ts";

export const MEASURES: Record<string, ClaimMeasure> = Object.fromEntries(
  [M1, M2, C1, C2, C8].map((m) => [m.id, m]),
);

/** Pages beside the claims (the zoo's models). */
export const PAGES: ExtraPage[] = [generatorPage];
