import { assertEquals, assertMatch } from "../tests/assert.ts";
import { ReportQuery } from "./measure.ts";

Deno.test("a mean leaves out rows without a value and says so, rather than averaging them as 0", async () => {
  const q = await ReportQuery.open({});
  const m = await q.mean("x", "SELECT * FROM (VALUES (1.0), (NULL), (3.0)) t(x)");
  assertEquals(m.value, 2);
  assertMatch(m.ciMethod!, /mean over 2 rows \(1 without a value left out\)/);
  const all = await q.mean("x", "SELECT * FROM (VALUES (1.0), (3.0)) t(x)");
  assertMatch(all.ciMethod!, /mean over 2 rows; /);
  q.close();
});
