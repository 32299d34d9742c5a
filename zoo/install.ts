/**
 * Install a trained model into the zoo: keep only its primary outputs (the
 * training scripts also expose every layer, which costs forward time; the
 * pipeline exposes what a stage needs), write it to zoo/models/, and copy its
 * model card there with the shipped file's digest appended.
 *
 *   deno run -A zoo/install.ts --from zoo/runs/classifier/classifier.onnx \
 *     --keep logits --name classifier [--extra samples.png]
 *
 * A name may have a folder inside zoo/models/ (`--name v2/gan_church`).
 */
import { parseArgs } from "node:util";
import { basename, dirname, join } from "node:path";
import { createHash } from "node:crypto";
import { selectOutputs } from "../onnx/surgery.ts";
import { inspectBytes } from "../onnx/model.ts";

const { values } = parseArgs({
  options: {
    from: { type: "string" },
    keep: { type: "string", multiple: true },
    name: { type: "string" },
    extra: { type: "string", multiple: true },
  },
});
if (!values.from || !values.keep?.length || !values.name) {
  console.error(
    "usage: install.ts --from MODEL.onnx --keep OUTPUT [--keep ...] --name NAME [--extra FILE]",
  );
  Deno.exit(2);
}
const out = join(dirname(new URL(import.meta.url).pathname), "models");
const bytes = selectOutputs(await Deno.readFile(values.from), values.keep, values.from);
const target = join(out, `${values.name}.onnx`);
await Deno.mkdir(dirname(target), { recursive: true });
await Deno.writeFile(target, bytes);
const sha = createHash("sha256").update(bytes).digest("hex");
const info = inspectBytes(target, bytes);
const card = await Deno.readTextFile(values.from.replace(/\.onnx$/, ".md"));
const shipped = `
## Shipped file

- file: \`zoo/models/${values.name}.onnx\` (${bytes.length.toLocaleString("en")} bytes)
- sha256: \`${sha}\`
- inputs: ${info.inputs.map((i) => `\`${i.name}\` [${i.dims.join(", ")}]`).join(", ")}
- outputs: ${
  info.outputs.map((o) => `\`${o.name}\``).join(", ")
} (the layers stay addressable by name)
- installed from \`${values.from}\` by \`zoo/install.ts\`
`;
await Deno.writeTextFile(join(out, `${values.name}.md`), card.trimEnd() + "\n" + shipped);
// Beside the model, also when its name has a folder (v2/gan_church).
for (const f of values.extra ?? []) await Deno.copyFile(f, join(dirname(target), basename(f)));
console.log(`${target}: ${bytes.length} bytes, sha256 ${sha}`);
