/** Small HTML helpers: escaping and the shared page frame. */

/** HTML-escaped text. */
export function esc(s: unknown): string {
  return String(s).replaceAll("&", "&amp;").replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** A whole report page around a body. */
export function page(title: string, body: string, opts: { root?: string } = {}): string {
  const root = opts.root ?? ".";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="${root}/assets/uPlot.min.css">
<link rel="stylesheet" href="${root}/assets/report.css">
<script src="${root}/assets/uPlot.iife.min.js"></script>
<script src="${root}/assets/report.js" defer></script>
</head>
<body>
<header><a href="${root}/index.html">dissect report</a></header>
<main>
${body}
</main>
</body>
</html>
`;
}

/** An HTML table of escaped cells. */
export function table(headers: string[], rows: unknown[][]): string {
  return `<table><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead>
<tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("\n")
  }</tbody></table>`;
}
