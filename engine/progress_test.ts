import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { startProgress } from "./progress.ts";

Deno.test("off a terminal, progress prints plain periodic lines with rate and a final line", async () => {
  const out: string[] = [];
  const p = startProgress("images", 3, {
    tty: false,
    lineEverySeconds: 0.01,
    write: (t) => out.push(t),
  });
  p.tick();
  await new Promise((r) => setTimeout(r, 20));
  p.tick();
  p.tick();
  p.done();
  assert(out.every((l) => l.endsWith("\n") && !l.includes("\r")), "plain lines only");
  assertMatch(out.at(-1)!, /^images 3\/3 \(100%\) [\d.]+\/s in [\d.]+s\n$/);
  assert(out.length >= 2, "a periodic line before the final one");
});

Deno.test("on a terminal, progress redraws one bar in place with an ETA", () => {
  const out: string[] = [];
  const p = startProgress("units", 10, { tty: true, write: (t) => out.push(t) });
  p.tick(4);
  p.done();
  assertMatch(out[0], /^\r\[#+\.+\] units 4\/10 \(40%\) .*eta/);
  assertEquals(out.at(-1)!.endsWith("\n"), true);
});
