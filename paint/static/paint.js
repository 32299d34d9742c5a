// The paint page. It keeps the strokes (so undo is a pop) and sends them all
// with the sample on every change; the server is stateless and answers with
// the painted image. Coordinates sent are the generated image's pixels.

const DISPLAY = 512;
const $ = (id) => document.getElementById(id);
const image = $("image"), overlay = $("overlay"), status = $("status");
const ctx = overlay.getContext("2d");

let palette = null;
let sample = 0;
let strokes = [];
let current = null;
let latest = 0; // the newest request; older answers are dropped
let shownUrl = null;
let notice = ""; // said once with the next image

function say(text, error = false) {
  status.textContent = text;
  status.classList.toggle("error", error);
}

/** A distinct color per palette concept (golden-angle hues). */
function hue(name) {
  return (palette.concepts.findIndex((c) => c.name === name) * 137.5) % 360;
}

function scale() {
  return DISPLAY / palette.size;
}

function selected(name) {
  return document.querySelector(`input[name="${name}"]:checked`)?.value;
}

function drawStrokes() {
  ctx.clearRect(0, 0, DISPLAY, DISPLAY);
  for (const s of current ? [...strokes, current] : strokes) {
    ctx.lineCap = ctx.lineJoin = "round";
    ctx.lineWidth = 2 * s.radius * scale();
    ctx.strokeStyle = s.mode === "erase"
      ? "rgba(40, 40, 40, 0.45)"
      : `hsla(${hue(s.concept)}, 90%, 55%, 0.4)`;
    ctx.setLineDash(s.mode === "erase" ? [6, 6] : []);
    ctx.beginPath();
    const [[x0, y0], ...rest] = s.points;
    ctx.moveTo(x0 * scale(), y0 * scale());
    for (const [x, y] of rest.length ? rest : [[x0 + 0.01, y0]]) {
      ctx.lineTo(x * scale(), y * scale());
    }
    ctx.stroke();
  }
}

async function render() {
  const id = ++latest;
  const count = strokes.length;
  say(count ? `painting ${count} stroke(s)…` : `sample ${sample}`);
  try {
    const res = await fetch("api/paint", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sample, strokes }),
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({ error: res.statusText }));
      throw new Error(body.error);
    }
    const blob = await res.blob();
    if (id !== latest) return;
    const url = URL.createObjectURL(blob);
    image.onload = () => {
      if (shownUrl) URL.revokeObjectURL(shownUrl);
      shownUrl = url;
      // What the image shows, for whoever checks it (the end-to-end test).
      image.dataset.sample = String(sample);
      image.dataset.strokes = String(count);
      say(`${notice}sample ${sample} of ${palette.samples}; ${count} stroke(s)`, notice !== "");
      notice = "";
    };
    image.src = url;
    return true;
  } catch (e) {
    if (id === latest) say(`could not paint: ${e.message}`, true);
    return id !== latest; // a newer request answers instead
  }
}

function pointAt(event) {
  const r = overlay.getBoundingClientRect();
  const clamp = (v) => Math.min(palette.size, Math.max(0, v));
  return [
    clamp(((event.clientX - r.left) / r.width) * palette.size),
    clamp(((event.clientY - r.top) / r.height) * palette.size),
  ];
}

function startStroke(event) {
  if (!palette || event.button !== 0) return;
  overlay.setPointerCapture(event.pointerId);
  const cellSide = palette.size / palette.h;
  current = {
    concept: selected("concept"),
    mode: selected("mode"),
    radius: (Number($("brush").value) * cellSide) / 2,
    points: [pointAt(event)],
  };
  drawStrokes();
}

function extendStroke(event) {
  if (!current) return;
  const p = pointAt(event), last = current.points.at(-1);
  if (Math.hypot(p[0] - last[0], p[1] - last[1]) < 0.25) return;
  if (current.points.length >= palette.limits.pointsPerStroke) return;
  current.points.push(p);
  drawStrokes();
}

async function endStroke() {
  if (!current) return;
  const stroke = current;
  current = null;
  if (strokes.length >= palette.limits.strokes) {
    drawStrokes();
    say(`at most ${palette.limits.strokes} strokes: undo or clear first`, true);
    return;
  }
  strokes.push(stroke);
  drawStrokes();
  // A stroke the server refuses is not kept, so the next one can still paint.
  if (!(await render()) && strokes.at(-1) === stroke) {
    strokes.pop();
    drawStrokes();
  }
}

function undo() {
  if (!strokes.length) return;
  strokes.pop();
  drawStrokes();
  render();
}

function buildPalette() {
  const box = $("concepts");
  palette.concepts.forEach((c, i) => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    Object.assign(input, { type: "radio", name: "concept", value: c.name, checked: i === 0 });
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = `hsl(${hue(c.name)}, 90%, 55%)`;
    label.title = `${c.units} units of ${palette.layer}; best IoU ${c.bestIou.toFixed(3)}`;
    label.append(input, swatch, `${c.name} `);
    const kind = document.createElement("span");
    kind.className = "muted";
    kind.textContent = c.category;
    label.append(kind);
    box.append(label);
  });
  $("about").textContent = `Each concept is its ${palette.concepts[0].units} units of ` +
    `${palette.layer} with the highest IoU (run ${palette.run.runId}). Drawing sets them to ` +
    `${palette.boost} × t_u in the ${palette.h}×${palette.w} cells under the stroke; erasing ` +
    "sets them to zero.";
}

async function main() {
  try {
    const res = await fetch("api/palette");
    palette = await res.json();
  } catch (e) {
    say(`could not load the palette: ${e.message}`, true);
    return;
  }
  buildPalette();
  overlay.addEventListener("pointerdown", startStroke);
  overlay.addEventListener("pointermove", extendStroke);
  overlay.addEventListener("pointerup", endStroke);
  overlay.addEventListener("pointercancel", endStroke);
  $("undo").addEventListener("click", undo);
  $("clear").addEventListener("click", () => {
    strokes = [];
    drawStrokes();
    render();
  });
  $("new").addEventListener("click", () => {
    const others = palette.samples - 1;
    sample = others ? (sample + 1 + Math.floor(Math.random() * others)) % palette.samples : 0;
    remember();
    strokes = [];
    drawStrokes();
    render();
  });
  $("show").addEventListener(
    "change",
    (e) => overlay.classList.toggle("hidden", !e.target.checked),
  );
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "z") {
      e.preventDefault();
      undo();
    }
  });
  sample = fromAddress() ?? Math.floor(Math.random() * palette.samples);
  remember();
  render();
}

/** The sample named by the address (`?sample=N`), if it is one of the run's. */
function fromAddress() {
  const raw = new URLSearchParams(location.search).get("sample");
  const n = raw === null ? NaN : Number(raw);
  if (Number.isInteger(n) && n >= 0 && n < palette.samples) return n;
  if (raw !== null) notice = `no sample ${raw} (the run has 0 to ${palette.samples - 1}); `;
  return null;
}

/** Keep the shown sample in the address, so a link or a reload shows it again. */
function remember() {
  const url = new URL(location.href);
  url.searchParams.set("sample", String(sample));
  history.replaceState(null, "", url);
}

main();
