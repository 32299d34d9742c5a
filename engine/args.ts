/**
 * Repeatable list options on a command line: `--only A B` means what
 * `--only A --only B` means. node:util's parseArgs reads B as a positional,
 * so a list option's values are taken from its tokens: the option's own value
 * and every positional after it up to the next option (or `--`).
 */
import { parseArgs } from "node:util";

/** One parseArgs token (`parseArgs({ tokens: true })`), as far as lists need it. */
type Token = ReturnType<typeof parseArgs>["tokens"] extends (infer T)[] | undefined ? T : never;

/**
 * Splits parsed tokens into the values of the `lists` options (each in the
 * order given) and the positionals that belong to no list. The first
 * `leading` positionals (a command's name) never join a list, wherever they stand.
 */
export function listOptions(
  tokens: readonly Token[],
  lists: readonly string[],
  leading = 0,
): { lists: Record<string, string[]>; positionals: string[] } {
  const values: Record<string, string[]> = Object.fromEntries(lists.map((l) => [l, []]));
  const positionals: string[] = [];
  let open: string | null = null;
  for (const token of tokens) {
    if (token.kind === "option") {
      open = lists.includes(token.name) ? token.name : null;
      if (open && token.value !== undefined) values[open].push(token.value);
    } else if (token.kind === "positional") {
      if (open && positionals.length >= leading) values[open].push(token.value);
      else positionals.push(token.value);
    } else open = null; // "--": what follows belongs to no option
  }
  return { lists: values, positionals };
}
