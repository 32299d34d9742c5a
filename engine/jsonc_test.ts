import { assertEquals, assertThrows } from "../tests/assert.ts";
import { stripJsonComments } from "./jsonc.ts";

Deno.test("comments go, strings that look like comments stay, and lines keep their numbers", () => {
  const text = [
    "// the paper's run",
    "{",
    '  "url": "http://host/a//b", // a trailing comment',
    '  "q": 0.01, /* block',
    '  over lines */ "s": "/* not a comment */",',
    '  "e": "quote \\" // still a string"',
    "}",
  ].join("\n");
  const stripped = stripJsonComments(text);
  assertEquals(stripped.split("\n").length, text.split("\n").length);
  assertEquals(JSON.parse(stripped), {
    url: "http://host/a//b",
    q: 0.01,
    s: "/* not a comment */",
    e: 'quote " // still a string',
  });
  assertEquals(stripJsonComments('{"a": 1}'), '{"a": 1}');
  // Columns too: what follows a comment keeps its place.
  const line = '/* a */ "x": 1, // b';
  assertEquals(stripJsonComments(line), '        "x": 1,     ');
  assertEquals(stripJsonComments(line).length, line.length);
  assertThrows(
    () => stripJsonComments('{\n"a": 1 /* open\n}'),
    SyntaxError,
    "the /* comment on line 2 is never closed",
  );
});
