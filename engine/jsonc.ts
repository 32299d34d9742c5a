/**
 * JSON with comments, as run configs may carry them (`configs/paper.json`
 * cites the paper beside each value): `//` to the end of a line and `/* ... *\/`
 * blocks become spaces outside strings, then the text is plain JSON. Every
 * other character keeps its place (a comment's newlines stay), so
 * JSON.parse's lines and columns still point into the file.
 */

/** The text with its comments blanked out; a comment left open is an error naming its line. */
export function stripJsonComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      // A string, escapes included, is copied as it is.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "/" && text[i + 1] === "/") {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      out += " ".repeat(stop - i);
      i = stop;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) {
        const line = text.slice(0, i).split("\n").length;
        throw new SyntaxError(`the /* comment on line ${line} is never closed`);
      }
      out += text.slice(i, end + 2).replace(/[^\n]/g, " ");
      i = end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
