/**
 * JSON with comments, as run configs may carry them (`configs/paper.json`
 * cites the paper beside each value): `//` to the end of a line and `/* ... *\/`
 * blocks are dropped outside strings, then the text is plain JSON. Line
 * numbers are kept (a comment's newlines stay), so JSON.parse's positions
 * still point into the file.
 */

/** The text with its comments blanked out; a comment left open is an error. */
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
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) throw new SyntaxError("a /* comment is never closed");
      out += text.slice(i, end + 2).replace(/[^\n]/g, "");
      i = end + 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
