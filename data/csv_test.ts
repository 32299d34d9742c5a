import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "../tests/assert.ts";
import { DissectError } from "../engine/errors.ts";
import { csvField, formatCsv, parseCsv, readCsvTable } from "./csv.ts";

Deno.test("CSV records: quoted commas, quotes and line breaks; CRLF; blank lines; each record's line", () => {
  const text = '\ufeffa,b\r\n1,"x, ""y"""\r\n\r\n2,"two\nlines"\n3,\n';
  assertEquals(parseCsv(text, "t.csv"), [
    { line: 1, fields: ["a", "b"] },
    { line: 2, fields: ["1", 'x, "y"'] },
    { line: 4, fields: ["2", "two\nlines"] },
    { line: 6, fields: ["3", ""] },
  ]);
  assertEquals(parseCsv("a,b\n1,2", "t.csv").at(-1), { line: 2, fields: ["1", "2"] });
  assertThrows(() => parseCsv('a\n"open', "t.csv"), DissectError, "t.csv, line 2: a quoted field");
});

Deno.test("CSV writing quotes what needs it, and reads back to the same rows", async () => {
  assertEquals([csvField("plain"), csvField(3), csvField('a,"b"')], ["plain", "3", '"a,""b"""']);
  const rows = [{ name: "a, b", n: 1 }, { name: 'say "hi"', n: 2 }];
  const dir = await Deno.makeTempDir({ prefix: "dissect-test-csv-" });
  try {
    const path = join(dir, "t.csv");
    await Deno.writeTextFile(path, formatCsv(["name", "n"], rows));
    const table = await readCsvTable(path, ["name"]);
    assertEquals(table.columns, ["name", "n"]);
    assertEquals(table.records.map((r) => r.fields), [
      { name: "a, b", n: "1" },
      { name: 'say "hi"', n: "2" },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing file, a missing column or a short record is one line naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dissect-test-csv-" });
  try {
    const path = join(dir, "t.csv");
    await rejects(() => readCsvTable(path, []), `${path}: not found`);
    await Deno.writeTextFile(path, "a,b\n1,2\n");
    await rejects(() => readCsvTable(path, ["a", "c"]), 'no column "c"');
    await Deno.writeTextFile(path, "a,b\n1,2\n3\n");
    await rejects(() => readCsvTable(path, ["a"]), `${path}, line 3: 1 fields, the header has 2`);
    await Deno.writeTextFile(path, "");
    await rejects(() => readCsvTable(path, []), "empty");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** `fn` rejects with a one-line DissectError whose message includes `includes`. */
async function rejects(fn: () => Promise<unknown>, includes: string): Promise<void> {
  await assertRejects(fn, (e) => {
    assert(e instanceof DissectError, String(e));
    assert(e.message.includes(includes), `"${e.message}" does not include "${includes}"`);
    assert(!e.message.includes("\n"), e.message);
  });
}
