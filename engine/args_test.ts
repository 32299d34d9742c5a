import { parseArgs } from "node:util";
import { assertEquals } from "../tests/assert.ts";
import { listOptions } from "./args.ts";

/** listOptions over parseArgs' tokens of `args`, with --only and --force as lists. */
function parse(args: string[], leading = 0) {
  const { tokens } = parseArgs({
    args,
    allowPositionals: true,
    tokens: true,
    options: {
      only: { type: "string", multiple: true },
      force: { type: "string", multiple: true },
      store: { type: "string" },
      json: { type: "boolean" },
    },
  });
  return listOptions(tokens, ["only", "force"], leading);
}

Deno.test("a list option takes the positionals after it, up to the next option", () => {
  assertEquals(parse(["reproduce", "--only", "a", "b", "--store", "s", "c"]), {
    lists: { only: ["a", "b"], force: [] },
    positionals: ["reproduce", "c"],
  });
  assertEquals(parse(["reproduce", "--only", "a", "--force", "b", "c", "--only", "d"]).lists, {
    only: ["a", "d"],
    force: ["b", "c"],
  });
  // A boolean option closes the list; "--" too.
  assertEquals(parse(["x", "--only", "a", "--json", "b"]).positionals, ["x", "b"]);
  assertEquals(parse(["x", "--only", "a", "--", "b"]), {
    lists: { only: ["a"], force: [] },
    positionals: ["x", "b"],
  });
  assertEquals(parse(["x", "--only=a", "b"]).lists.only, ["a", "b"]);

  // The command's name is never a list value, even after an option.
  assertEquals(parse(["--only", "a", "reproduce", "b"], 1), {
    lists: { only: ["a", "b"], force: [] },
    positionals: ["reproduce"],
  });
});
