/** Copying an image of an artifact next to a claim page and showing it. */
import { join } from "node:path";
import type { PageContext } from "../measure.ts";
import { esc } from "../html.ts";

/** Copies an image from a node's artifact next to the page and returns its figure HTML. */
export async function artifactImage(
  ctx: PageContext,
  node: string,
  file: string,
  caption: string,
): Promise<string> {
  const name = `${node}-${file.replaceAll("/", "-")}`;
  const dir = join(ctx.dir, "claims", "images");
  await Deno.mkdir(dir, { recursive: true });
  try {
    await Deno.copyFile(ctx.inputs[node].file(file), join(dir, name));
  } catch {
    return `<p class="muted">(${esc(node)} drew no ${esc(file)})</p>`;
  }
  return `<figure><img src="images/${esc(name)}" alt="${esc(caption)}" ` +
    `style="image-rendering: pixelated; width: 100%; max-width: 860px"><figcaption>${
      esc(caption)
    }</figcaption></figure>`;
}
