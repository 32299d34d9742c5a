import { assert } from "../tests/assert.ts";

// In a process of its own: test workers share one, and so one high-water mark.
Deno.test("peak resident memory covers what the process holds and grows with it", async () => {
  const script = `
    import { peakRssBytes } from ${JSON.stringify(new URL("./memory.ts", import.meta.url).href)};
    const before = peakRssBytes(), rss = Deno.memoryUsage().rss;
    const big = new Uint8Array(256 * 1024 * 1024).fill(1); // touched, so resident
    console.log(JSON.stringify({ before, rss, after: peakRssBytes(), last: big[big.length - 1] }));
  `;
  const out = await new Deno.Command(Deno.execPath(), { args: ["eval", script] }).output();
  assert(out.code === 0, new TextDecoder().decode(out.stderr));
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  // Read a moment apart, so the resident size may have moved a little past the peak.
  assert(r.before >= 0.9 * r.rss, `peak ${r.before} below the resident ${r.rss}`);
  assert(r.after >= r.before + 200 * 1024 * 1024, `peak ${r.before} -> ${r.after} after 256 MiB`);
});
