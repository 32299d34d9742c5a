import { assert, assertEquals, assertMatch } from "../tests/assert.ts";
import { ProgressBoard, startProgress } from "./progress.ts";

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

/** The screen a terminal shows after `text`: lines, with \r, \n, cursor up, clear line and below. */
function screen(text: string): string[] {
  const lines: string[] = [""];
  let row = 0, col = 0;
  for (let i = 0; i < text.length; i++) {
    // deno-lint-ignore no-control-regex -- the escape sequences are what is tested
    const esc = /^\x1b\[(\d*)([AJK])/.exec(text.slice(i));
    if (esc) {
      const [all, n, op] = esc;
      if (op === "A") row = Math.max(0, row - Number(n || 1));
      if (op === "K") lines[row] = lines[row].slice(0, col);
      if (op === "J") {
        lines[row] = lines[row].slice(0, col);
        lines.length = row + 1;
      }
      i += all.length - 1;
      continue;
    }
    const ch = text[i];
    if (ch === "\r") col = 0;
    else if (ch === "\n") {
      row++;
      col = 0;
      if (lines.length <= row) lines.push("");
    } else {
      const line = lines[row];
      lines[row] = line.slice(0, col) + ch + line.slice(col + 1);
      col++;
    }
  }
  return lines.filter((l, k) => l !== "" || k < lines.length - 1);
}

Deno.test("on a terminal, concurrent bars keep a line each and log lines go above them", () => {
  let out = "";
  const board = new ProgressBoard((t) => (out += t));
  const a = startProgress("a: quantile", 10, { tty: true, board, write: (t) => (out += t) });
  const b = startProgress("b: iou", 20, { tty: true, board, write: (t) => (out += t) });
  a.tick(3);
  b.tick(5);
  board.print("> c (render): never run");
  const shown = screen(out);
  assertEquals(shown.length, 3, shown.join("\n"));
  assertEquals(shown[0], "> c (render): never run");
  assertMatch(shown[1], /^\[#+\.+\] a: quantile 3\/10 /);
  assertMatch(shown[2], /^\[#+\.+\] b: iou 5\/20 /);
  a.done();
  const after = screen(out);
  // A finished bar leaves its last line above the block; the running one stays at the bottom.
  assertMatch(after[1], /a: quantile 3\/10/);
  assertMatch(after.at(-1)!, /b: iou 5\/20/);
  assertEquals(after.length, 3);
});
