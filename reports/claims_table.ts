/** The paper's claims, parsed from the markdown table of claims.md. */

/** A row of claims.md: id, figure, statement, the paper's numbers, stages. */
export interface Claim {
  id: string;
  figure: string;
  statement: string;
  paperNumbers: string;
  stages: string;
}

/** The claims table of claims.md. */
export function parseClaims(markdown: string): Claim[] {
  const claims: Claim[] = [];
  for (const line of markdown.split("\n")) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells.length !== 5 || !/^[A-Z]+\d+$/.test(cells[0])) continue;
    const [id, figure, statement, paperNumbers, stages] = cells;
    claims.push({ id, figure, statement, paperNumbers, stages });
  }
  if (claims.length === 0) throw new Error("no claims table found in claims.md");
  return claims;
}

/** The prose after the table (definitions), shown on the index page. */
export function claimNotes(markdown: string): string[] {
  const at = markdown.indexOf("Notes on definitions");
  if (at < 0) return [];
  return markdown.slice(at).split("\n").slice(1)
    .map((l) => l.replace(/^- /, "").trim())
    .reduce<string[]>((acc, l) => {
      if (!l) return acc;
      if (/^[A-Z]/.test(l) || acc.length === 0) acc.push(l);
      else acc[acc.length - 1] += " " + l;
      return acc;
    }, []);
}
