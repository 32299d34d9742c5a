import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../tests/assert.ts";
import { scratchDir } from "../../tests/helpers.ts";
import { exists } from "../../engine/fs_atomic.ts";
import {
  checkDigest,
  type ChecksumRecord,
  CHECKSUMS,
  digestFile,
  fetchFile,
  fetchItems,
  startByteProgress,
} from "./download.ts";
import type { PaperFile, PaperItem } from "./sources.ts";
import { closedPort, serveFiles } from "./test_server.ts";

const QUIET = { quiet: true };

/** Deterministic bytes, not all equal (so an offset error shows). */
function content(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff;
  return out;
}

function hex(algorithm: string, bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest("hex");
}

/** A file entry publishing every checksum of `bytes`. */
function published(name: string, url: string, bytes: Uint8Array): PaperFile {
  return { name, url, size: bytes.length, md5: hex("md5", bytes), sha256: hex("sha256", bytes) };
}

function item(id: string, files: PaperFile[]): PaperItem {
  return { id, what: "test item", size: "small", license: "none", files };
}

async function checksums(dir: string): Promise<Record<string, ChecksumRecord>> {
  return JSON.parse(await Deno.readTextFile(join(dir, CHECKSUMS)));
}

Deno.test("a full download is verified, renamed from .part and recorded in checksums.json", async () => {
  await using dir = await scratchDir();
  const bytes = content(100_000);
  await using server = serveFiles({ "w.pth": bytes }, { ranges: true });
  const file = published("w.pth", server.url("w.pth"), bytes);
  const [r] = await fetchItems([item("m", [file])], { dir: dir.path, progress: QUIET });
  assertEquals(r.status, "downloaded", r.line);
  assertMatch(r.line, /^m: downloaded .*m\/w\.pth \(97\.7 KiB; size, md5, sha256 match\)$/);
  assertEquals(await Deno.readFile(join(dir.path, "m", "w.pth")), bytes);
  assert(!(await exists(join(dir.path, "m", "w.pth.part"))), "no .part left");
  assertEquals((await checksums(dir.path))["m/w.pth"], {
    url: file.url,
    size: bytes.length,
    sha256: file.sha256!,
    md5: file.md5!,
    checked: ["size", "md5", "sha256"],
  });
});

Deno.test("a download cut half-way keeps its .part and the next run resumes it with a Range request", async () => {
  await using dir = await scratchDir();
  const bytes = content(200_000, 2);
  await using server = serveFiles({ "d.zip": bytes }, { ranges: true, cutFirst: true });
  const it = item("data", [published("d.zip", server.url("d.zip"), bytes)]);
  const opts = { dir: dir.path, progress: QUIET };

  const first = await fetchFile(it, it.files[0], opts);
  assertEquals(first.status, "failed");
  assertEquals(first.error?.code, "INPUT_FILE");
  assertMatch(
    first.line,
    /^data: download of http:\/\/127\.0\.0\.1:\d+\/d\.zip stopped at .*run again to resume/,
  );
  const part = join(dir.path, "data", "d.zip.part");
  const kept = await Deno.readFile(part);
  assert(kept.length > 0 && kept.length < bytes.length, `a partial .part (${kept.length} bytes)`);
  assertEquals(kept, bytes.subarray(0, kept.length));

  const second = await fetchFile(it, it.files[0], opts);
  assertEquals(second.status, "downloaded", second.line);
  assertEquals(await Deno.readFile(join(dir.path, "data", "d.zip")), bytes);
  assertEquals(server.requests.at(-1)?.range, `bytes=${kept.length}-`);
  assertEquals(server.sent(), bytes.length, "the resumed request sent only the rest");
});

Deno.test("a stalled download is stopped after the stall timeout, then resumed", async () => {
  await using dir = await scratchDir();
  const bytes = content(50_000, 3);
  await using server = serveFiles({ "s.bin": bytes }, { ranges: true, stallFirst: true });
  const it = item("s", [published("s.bin", server.url("s.bin"), bytes)]);
  const opts = { dir: dir.path, progress: QUIET, stallTimeoutMs: 200 };
  const first = await fetchFile(it, it.files[0], opts);
  assertMatch(first.line, /stopped at 24\.4 KiB \(no data for 0\.2s\)/);
  const second = await fetchFile(it, it.files[0], opts);
  assertEquals(second.status, "downloaded", second.line);
  assertEquals(await Deno.readFile(join(dir.path, "s", "s.bin")), bytes);
});

Deno.test("a server that ignores Range sends the whole file and the .part is rewritten from zero", async () => {
  await using dir = await scratchDir();
  const bytes = content(30_000, 4);
  await using server = serveFiles({ "x.bin": bytes }, { ranges: false });
  await Deno.mkdir(join(dir.path, "x"));
  // A .part whose bytes are not the file's: appending to it would give a wrong file.
  await Deno.writeFile(join(dir.path, "x", "x.bin.part"), new Uint8Array(1000).fill(9));
  const it = item("x", [published("x.bin", server.url("x.bin"), bytes)]);
  const r = await fetchFile(it, it.files[0], { dir: dir.path, progress: QUIET });
  assertEquals(r.status, "downloaded", r.line);
  assertEquals(server.requests[0].range, "bytes=1000-");
  assertEquals(await Deno.readFile(join(dir.path, "x", "x.bin")), bytes);
});

Deno.test("a .part already complete is answered 416 and accepted as it is", async () => {
  await using dir = await scratchDir();
  const bytes = content(5_000, 5);
  await using server = serveFiles({ "c.txt": bytes }, { ranges: true });
  await Deno.mkdir(join(dir.path, "c"));
  await Deno.writeFile(join(dir.path, "c", "c.txt.part"), bytes);
  // No published size, so only the server can say the .part is whole.
  const file = { name: "c.txt", url: server.url("c.txt"), md5: hex("md5", bytes) };
  const r = await fetchFile(item("c", [file]), file, { dir: dir.path, progress: QUIET });
  assertEquals(r.status, "downloaded", r.line);
  assertEquals(server.sent(), 0);
  assertEquals(await Deno.readFile(join(dir.path, "c", "c.txt")), bytes);
});

Deno.test("a checksum mismatch keeps the download as NAME.bad and names both sums", async () => {
  await using dir = await scratchDir();
  const bytes = content(10_000, 6);
  await using server = serveFiles({ "b.pth": bytes }, { ranges: true });
  const wrong = "0".repeat(32);
  const file = { name: "b.pth", url: server.url("b.pth"), md5: wrong };
  const r = await fetchFile(item("b", [file]), file, { dir: dir.path, progress: QUIET });
  assertEquals(r.status, "failed");
  assertEquals(r.error?.code, "DATA");
  assertEquals(
    r.line,
    `b: b.pth failed its check (md5: expected ${wrong}, got ${hex("md5", bytes)}); kept as ${
      join(dir.path, "b", "b.pth.bad")
    }`,
  );
  assertEquals(await Deno.readFile(join(dir.path, "b", "b.pth.bad")), bytes);
  assert(!(await exists(join(dir.path, "b", "b.pth"))), "not accepted");
  assert(!(await exists(join(dir.path, "b", "b.pth.part"))), "moved, not copied");
  assert(!(await exists(join(dir.path, CHECKSUMS))), "nothing recorded");

  // A second bad copy does not overwrite the first.
  const again = await fetchFile(item("b", [file]), file, { dir: dir.path, progress: QUIET });
  assertMatch(again.line, /kept as .*b\.pth\.bad\.2$/);
  assert(await exists(join(dir.path, "b", "b.pth.bad")), "the first .bad is still there");
});

Deno.test("a sha256 prefix from a torch.hub file name is checked", () => {
  const bytes = content(100, 7);
  const sha = hex("sha256", bytes);
  const d = { size: 100, sha256: sha, md5: hex("md5", bytes) };
  const ok = checkDigest({ name: "n", url: "u", sha256Prefix: sha.slice(0, 8) }, d);
  assertEquals(ok, { checked: ["sha256 prefix"], mismatches: [] });
  const bad = checkDigest({ name: "n", url: "u", sha256Prefix: "deadbeef" }, d);
  assertEquals(bad.mismatches, [`sha256: expected deadbeef…, got ${sha}`]);
});

Deno.test("files placed by hand are verified and accepted without any network", async () => {
  await using dir = await scratchDir();
  const url = `http://127.0.0.1:${closedPort()}`;
  const checked = content(4_000, 8);
  const unpublished = content(3_000, 9);
  await Deno.mkdir(join(dir.path, "h"));
  await Deno.writeFile(join(dir.path, "h", "a.pth"), checked);
  await Deno.writeFile(join(dir.path, "h", "labels.json"), unpublished);
  const it = item("h", [
    { name: "a.pth", url: `${url}/a.pth`, sha256Prefix: hex("sha256", checked).slice(0, 8) },
    { name: "labels.json", url: `${url}/labels.json` },
  ]);
  const [a, labels] = await fetchItems([it], { dir: dir.path, progress: QUIET });
  assertEquals(a.status, "present", a.line);
  assertMatch(a.line, /^h: present .*h\/a\.pth \(3\.9 KiB; sha256 prefix match\)$/);
  assertEquals(labels.status, "present", labels.line);
  const sha = hex("sha256", unpublished);
  assertMatch(labels.line, new RegExp(`no published checksum: its sha256 ${sha} was recorded in`));
  assertMatch(labels.line, /could not be checked\)$/);
  const rec = await checksums(dir.path);
  assertEquals(rec["h/labels.json"].sha256, sha);
  assertEquals(rec["h/labels.json"].checked, []);
  assertEquals(rec["h/a.pth"].size, 4_000);
});

Deno.test("a hand-placed file that fails its check is moved to .bad, not deleted", async () => {
  await using dir = await scratchDir();
  const bytes = content(1_000, 10);
  await Deno.mkdir(join(dir.path, "h"));
  await Deno.writeFile(join(dir.path, "h", "f.bin"), bytes);
  const file = { name: "f.bin", url: `http://127.0.0.1:${closedPort()}/f.bin`, size: 999 };
  const r = await fetchFile(item("h", [file]), file, { dir: dir.path, progress: QUIET });
  assertEquals(r.status, "failed");
  assertMatch(r.line, /size: expected 999 bytes, got 1000 bytes/);
  assertEquals(await Deno.readFile(join(dir.path, "h", "f.bin.bad")), bytes);
});

Deno.test("offline, each missing file is one line naming its URL and where to put it", async () => {
  await using dir = await scratchDir();
  const base = `http://127.0.0.1:${closedPort()}`;
  const it = item("off", [
    { name: "one.pth", url: `${base}/one.pth` },
    { name: "two.json", url: `${base}/two.json` },
  ]);
  const t0 = performance.now();
  const results = await fetchItems([it], { dir: dir.path, progress: QUIET });
  assert(performance.now() - t0 < 5000, "fails at once");
  assertEquals(results.map((r) => r.status), ["failed", "failed"]);
  for (const [r, name] of results.map((r, i) => [r, it.files[i].name] as const)) {
    assertEquals(r.error?.code, "INPUT_FILE");
    assertMatch(r.line, /^off: cannot reach http:\/\/127\.0\.0\.1:\d+\/\S+ \(.*refused.*\); /);
    assert(r.line.includes(it.files.find((f) => f.name === name)!.url), r.line);
    assert(
      r.line.endsWith(`; download it by hand and put it at ${join(dir.path, "off", name)}`),
      r.line,
    );
    assert(!r.line.includes("\n"), "one line");
  }
});

Deno.test("an HTTP error is a failed file naming the status, and leaves no .part", async () => {
  await using dir = await scratchDir();
  await using server = serveFiles({}, {});
  const file = { name: "gone.zip", url: server.url("gone.zip") };
  const r = await fetchFile(item("g", [file]), file, { dir: dir.path, progress: QUIET });
  assertMatch(r.line, /^g: cannot reach .*gone\.zip \(HTTP 404 Not Found\); download it by hand/);
  assert(!(await exists(join(dir.path, "g", "gone.zip.part"))));
});

Deno.test("the byte progress shows bytes, percentage, rate and eta, then a final line", async () => {
  const out: string[] = [];
  const p = startByteProgress("m: w.pth", 4 * 1024 * 1024, 1024 * 1024, {
    tty: false,
    lineEverySeconds: 0.01,
    write: (t) => out.push(t),
  });
  p.tick(1024 * 1024);
  await new Promise((r) => setTimeout(r, 20));
  p.tick(1024 * 1024);
  assertMatch(out.at(-1)!, /^m: w\.pth 3\.0 MiB\/4\.0 MiB \(75%\) [\d.]+ \S+\/s eta [\d.]+s\n$/);
  p.tick(1024 * 1024);
  p.done();
  assertMatch(out.at(-1)!, /^m: w\.pth 4\.0 MiB\/4\.0 MiB \(100%\) [\d.]+ \S+\/s in [\d.]+s\n$/);

  const tty: string[] = [];
  const q = startByteProgress("u", undefined, 0, { tty: true, write: (t) => tty.push(t) });
  q.tick(2048);
  q.done();
  const last = tty.at(-1)!;
  assert(last.startsWith("\r") && last.endsWith("\x1b[K\n"), "redrawn in place");
  assertMatch(last.slice(1, -4), /^u 2\.0 KiB [\d.]+ \S+\/s in [\d.]+s$/);
});

Deno.test("digestFile reads size, sha256 and md5 in one pass", async () => {
  await using dir = await scratchDir();
  const bytes = content(70_000, 11);
  const path = join(dir.path, "f");
  await Deno.writeFile(path, bytes);
  assertEquals(await digestFile(path), {
    size: 70_000,
    sha256: hex("sha256", bytes),
    md5: hex("md5", bytes),
  });
});
