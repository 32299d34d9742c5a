/**
 * The default setting, world v2 and its zoo, end to end at smoke size
 * (configs/smoke-v2.json): every stage runs on the 40-class world at 112 px,
 * the GAN's samples meet real churches at its own 64 px, and every claim of
 * claims.md gets a verdict. The other smoke tests run world v1, which is
 * smaller and faster; this one keeps the default itself under test.
 */
import { assert, assertEquals } from "./assert.ts";
import { catalogRows, runCli, scratchDir } from "./helpers.ts";
import { OUTCOMES } from "../reports/verdict.ts";
import { RunConfig } from "../schemas/config.ts";
import { MEASURES } from "../reports/registry.ts";
import type { RunRecord } from "../schemas/manifest.ts";

Deno.test({
  name: "world v2 and its zoo, the default, go through every stage and every claim",
  sanitizeResources: false,
  async fn() {
    await using tmp = await scratchDir();
    const smoke = JSON.parse(await Deno.readTextFile("configs/smoke-v2.json"));
    // The smoke config differs from the default only in sizes: same world, same models.
    const parsed = RunConfig.parse(smoke), plain = RunConfig.parse({});
    assertEquals(parsed.models, plain.models);
    assertEquals([parsed.world.version, parsed.world.size], [
      plain.world.version,
      plain.world.size,
    ]);

    const r = await runCli([
      "reproduce",
      "--config",
      "configs/smoke-v2.json",
      "--store",
      tmp.path,
      "--json",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const nodes = (JSON.parse(r.stdout).run as RunRecord).nodes;
    assertEquals(nodes.filter((n) => n.status !== "executed").map((n) => n.node), []);

    const classes = await catalogRows<{ n: bigint }>(
      tmp.path,
      "SELECT count(*) AS n FROM classify_val__classes",
    );
    assertEquals(Number(classes[0].n), 40, "world v2's classifier has 40 scene classes");
    // Real churches at 64 px beside the 64-px samples: gan-distance refuses mixed sizes.
    const kid = await catalogRows<{ measure: string; n_a: bigint; n_b: bigint }>(
      tmp.path,
      "SELECT measure, n_a, n_b FROM gan_distance__distance ORDER BY measure",
    );
    assertEquals(kid.map((k) => k.measure), ["kid_a_b", "kid_b_halves"]);
    assertEquals([Number(kid[0].n_a), Number(kid[0].n_b)], [
      smoke.gan.samples,
      smoke.world.counts.church,
    ]);

    const claims = await catalogRows<{ claim: string; status: string }>(
      tmp.path,
      "SELECT claim, status FROM report__claims",
    );
    assertEquals(claims.map((c) => c.claim).sort(), Object.keys(MEASURES).sort());
    assertEquals(claims.length, 15);
    for (const c of claims) assert((OUTCOMES as readonly string[]).includes(c.status), c.status);
    // "Not testable" always names an unmet precondition, whose value traces to its SQL.
    const unmet = await catalogRows<{ claim: string; untraced: bigint }>(
      tmp.path,
      `SELECT c.claim, count(*) FILTER (WHERE v.label IS NULL) AS untraced
         FROM report__claims c JOIN report__preconditions p USING (claim)
         LEFT JOIN report__claim_values v ON v.claim = p.claim AND v.label = p.need
        WHERE c.status = 'untestable' AND NOT p.met GROUP BY c.claim`,
    );
    assertEquals(
      unmet.map((u) => u.claim).sort(),
      claims.filter((c) => c.status === "untestable").map((c) => c.claim).sort(),
    );
    for (const u of unmet) assertEquals(Number(u.untraced), 0, u.claim);
  },
});
