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
import { C3 } from "./claims/C3.ts";
import { C4 } from "./claims/C4.ts";
import { C5 } from "./claims/C5.ts";
import { C6 } from "./claims/C6.ts";
import { C7 } from "./claims/C7.ts";
import { C8 } from "./claims/C8.ts";
import { C9 } from "./claims/C9.ts";
import { C10 } from "./claims/C10.ts";
import { C11 } from "./claims/C11.ts";
import { C12 } from "./claims/C12.ts";
import { C13 } from "./claims/C13.ts";

/** Every claim's measure, by claim id. */
export const MEASURES: Record<string, ClaimMeasure> = Object.fromEntries(
  [M1, M2, C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13].map((m) => [m.id, m]),
);

/** Pages beside the claims (the zoo's models). */
export const PAGES: ExtraPage[] = [generatorPage];
