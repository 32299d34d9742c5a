import { assert, assertMatch } from "../tests/assert.ts";
import { valuesTable } from "./build.ts";

Deno.test("a permutation null range is never shown as a confidence interval", () => {
  const html = valuesTable([
    { label: "a mean", value: 0.5, ci: [0.4, 0.6], sql: "SELECT 1", tables: [] },
    {
      label: "trained minus control",
      value: 26,
      ci: [-7, 7],
      ciKind: "null",
      sql: "SELECT 1",
      tables: [],
    },
  ]);
  assertMatch(html, /0\.4000 to 0\.6000 \(95%\)/);
  assertMatch(html, /under the null: -7 to 7 \(middle 95% of random splits\)/);
  assert(!/-7 to 7 \(95%\)/.test(html));
});
