import { join } from "node:path";
import { assert, assertEquals } from "../../tests/assert.ts";
import { PAPER_ITEMS } from "./sources.ts";

const SOURCES = join(import.meta.dirname!, "SOURCES.md");

/** The rows of the markdown table under the heading that starts with `heading`, as cells. */
function table(text: string, heading: string): string[][] {
  const lines = text.split("\n");
  const at = lines.findIndex((l) => l.startsWith(heading));
  assert(at >= 0, `SOURCES.md has no "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 1)) {
    if (line.startsWith("#")) break;
    if (!line.startsWith("|")) {
      if (rows.length) break; // the table has ended
      continue;
    }
    if (/^\|\s*-+\s*\|/.test(line)) continue; // the separator row
    rows.push(line.slice(1, -1).split("|").map((c) => c.trim()));
  }
  return rows.slice(1); // the header row
}

interface Published {
  id: string;
  md5?: string;
  sha256?: string;
  prefix?: string;
}

/** §2's facts by URL: each row's URLs ("…/name" is a sibling of the URL before it). */
function publishedByUrl(text: string): Map<string, Published> {
  const byUrl = new Map<string, Published>();
  let id = "";
  for (const [idCell, , urlCell, md5Cell, shaCell] of table(text, "## 2.")) {
    id = /`([^`]+)`/.exec(idCell)?.[1] ?? id; // an empty id cell continues the item above
    const facts: Published = {
      id,
      md5: /`([0-9a-f]{32})`/.exec(md5Cell)?.[1],
      sha256: /`([0-9a-f]{64})`/.exec(shaCell)?.[1],
      prefix: /prefix `([0-9a-f]+)`/.exec(shaCell)?.[1],
    };
    let last = "";
    for (const [, url] of urlCell.matchAll(/`((?:https?:\/\/|…\/)[^`]+)`/g)) {
      last = url.startsWith("…/") ? last.slice(0, last.lastIndexOf("/") + 1) + url.slice(2) : url;
      byUrl.set(last, facts);
    }
  }
  return byUrl;
}

Deno.test("every file's URL and checksums are the ones SOURCES.md §2 lists", async () => {
  const text = await Deno.readTextFile(SOURCES);
  const published = publishedByUrl(text);
  assert(published.size > 10, `parsed ${published.size} URLs from SOURCES.md`);
  for (const item of PAPER_ITEMS) {
    for (const file of item.files) {
      const facts = published.get(file.url);
      assert(facts, `${item.id}: ${file.url} is not in SOURCES.md §2`);
      // The class list is its own row (categories365) but is fetched with the images.
      assert(
        facts.id === item.id || (item.id === "places365-val" && facts.id === "categories365"),
        `${file.url} is listed under ${facts.id}, not ${item.id}`,
      );
      assertEquals(file.url.slice(file.url.lastIndexOf("/") + 1), file.name);
      assertEquals(
        { md5: file.md5, sha256: file.sha256, prefix: file.sha256Prefix },
        { md5: facts.md5, sha256: facts.sha256, prefix: facts.prefix },
        `${item.id}: ${file.name}'s checksums`,
      );
      if (file.size !== undefined) {
        assert(
          text.includes(`${file.size.toLocaleString("en")} bytes`),
          `${file.name}: ${file.size} bytes is not in SOURCES.md`,
        );
      }
    }
  }
});

Deno.test("every item is one of SOURCES.md §1's, with the size given there", async () => {
  const rows = table(await Deno.readTextFile(SOURCES), "## 1.");
  const sizes = new Map(rows.map(([id, , , size]) => [/`([^`]+)`/.exec(id)?.[1] ?? "", size]));
  for (const item of PAPER_ITEMS) {
    assert(sizes.has(item.id), `${item.id} is not in SOURCES.md §1`);
    assertEquals(new Set(item.files.map((f) => f.name)).size, item.files.length);
    if (item.id === "places365-val") {
      // Two rows of §1 in one item: the images' size is only the official tar's estimate.
      assert(item.size.includes("~500 MB") && sizes.get(item.id)!.includes("~500 MB"));
      assert(item.size.includes(sizes.get("categories365")!), item.size);
    } else {
      const amount = item.size.split(" ")[0];
      assert(
        sizes.get(item.id)!.includes(amount),
        `${item.id}: ${amount} vs ${sizes.get(item.id)}`,
      );
    }
  }
});
