import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/assert.ts";
import { scratchDir } from "../../tests/helpers.ts";
import { PROJECT_ROOT } from "../../engine/paths.ts";
import { exists } from "../../engine/fs_atomic.ts";
import { DEFAULT_DIR, main, parseFetchArgs } from "./fetch.ts";
import { PAPER_ITEMS, type PaperItem } from "./sources.ts";
import { serveFiles } from "./test_server.ts";

function items(url: (name: string) => string, md5?: string): PaperItem[] {
  return ["a", "b", "c"].map((id) => ({
    id,
    what: `item ${id}`,
    size: "tiny",
    license: "none",
    files: [{ name: `${id}.bin`, url: url(`${id}.bin`), ...(md5 ? { md5 } : {}) }],
  }));
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
}

Deno.test("--only takes every ID that follows it, and the default folder is artifacts/paper", () => {
  const ids = (args: string[]) => parseFetchArgs(args, PAPER_ITEMS).items.map((i) => i.id);
  assertEquals(ids(["--only", "upernet", "broden"]), ["upernet", "broden"]);
  assertEquals(ids(["--only", "broden", "--only", "upernet"]), ["upernet", "broden"]);
  assertEquals(ids(["--only=broden,upernet"]), ["upernet", "broden"]);
  assertEquals(ids([]), PAPER_ITEMS.map((i) => i.id));
  assertEquals(parseFetchArgs([], PAPER_ITEMS).dir, DEFAULT_DIR);
  const parsed = parseFetchArgs(["--only", "broden", "lsun-church", "--dir", "/x"], PAPER_ITEMS);
  assertEquals([parsed.items.map((i) => i.id), parsed.dir], [["lsun-church", "broden"], "/x"]);
  // A positional not after --only is refused, not taken as an ID or dropped.
  assertThrows(
    () => parseFetchArgs(["--dir", "/x", "broden"], PAPER_ITEMS),
    Error,
    `unexpected argument "broden"`,
  );
});

Deno.test("fetch-paper --only a b fetches both and nothing else", async () => {
  await using dir = await scratchDir();
  const files = { "a.bin": new Uint8Array([1]), "b.bin": new Uint8Array([2]) };
  await using server = serveFiles(files, { ranges: true });
  const { out, err, io } = capture();
  const code = await main(["--only", "a", "b", "--dir", dir.path], {
    ...io,
    items: items(server.url),
    progress: { quiet: true },
  });
  assertEquals(code, 0, err.join("\n"));
  assertEquals(server.requests.map((r) => r.name), ["a.bin", "b.bin"]);
  assert(await exists(join(dir.path, "a", "a.bin")));
  assert(await exists(join(dir.path, "b", "b.bin")));
  assert(!(await exists(join(dir.path, "c"))), "c was not asked for");
  // Files with nothing published to check against are present, not verified.
  assertMatch(
    out.at(-1)!,
    /2 of 2 file\(s\) present in .* \(2 with no published checksum to verify\)/,
  );
});

Deno.test("an unknown ID is one line listing the known ones, exit 2", async () => {
  const { out, err, io } = capture();
  const code = await main(["--only", "a", "nope"], { ...io, items: items((n) => `http://x/${n}`) });
  assertEquals(code, 2);
  assertEquals(out, []);
  assertEquals(err, ['error[CONFIG]: unknown item "nope"; known: a, b, c']);
  const empty = capture();
  assertEquals(await main(["--only="], { ...empty.io, items: items((n) => `http://x/${n}`) }), 2);
  assertEquals(empty.err, ["error[CONFIG]: --only names no item; known: a, b, c"]);
});

Deno.test("a checksum mismatch exits 1 with one line naming both sums", async () => {
  await using dir = await scratchDir();
  const bytes = new Uint8Array([1, 2, 3]);
  await using server = serveFiles({ "a.bin": bytes }, { ranges: true });
  const { out, err, io } = capture();
  const wrong = "f".repeat(32);
  // An earlier, good copy's entry, which the bad file must not inherit.
  await Deno.writeTextFile(
    join(dir.path, "checksums.json"),
    JSON.stringify({ "a/a.bin": { url: "x", size: 3, sha256: "0", md5: "0", checked: ["md5"] } }),
  );
  const code = await main(["--only", "a", "--dir", dir.path], {
    ...io,
    items: items(server.url, wrong),
    progress: { quiet: true },
  });
  assertEquals(code, 1);
  const got = createHash("md5").update(bytes).digest("hex");
  assertEquals(err.length, 1);
  assertMatch(
    err[0],
    new RegExp(`^a: a\\.bin failed its check \\(md5: expected ${wrong}, got ${got}\\)`),
  );
  assert(await exists(join(dir.path, "a", "a.bin.bad")));
  // Nothing of the bad file is recorded as if it were good.
  const recorded = await Deno.readTextFile(join(dir.path, "checksums.json")).catch(() => "{}");
  assertEquals(Object.keys(JSON.parse(recorded)), []);
  // The summary counts only what is there, and calls nothing verified when nothing is.
  assertEquals(out.at(-1), `fetch-paper: 0 of 1 file(s) present in ${dir.path}`);
});

Deno.test("the command's exit status: 2 for an unknown ID, run as deno task runs it", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(PROJECT_ROOT, "zoo/paper/fetch.ts"), "--only", "nope"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(code, 2);
  const lines = new TextDecoder().decode(stderr).trim().split("\n");
  assertEquals(lines, [
    `error[CONFIG]: unknown item "nope"; known: ${PAPER_ITEMS.map((i) => i.id).join(", ")}`,
  ]);
});
