/** Models the attack's tests share (test support, not used by the pipeline). */
import { PLAIN } from "../onnx/preprocess.ts";
import { brightestChannel } from "../tests/fixtures/models.ts";
import { AttackedModel } from "./target.ts";

/** The brightest-channel model (tests/fixtures) opened for attacks: 3 classes, 2x2 images, layer "gap". */
export async function attackedBrightest(): Promise<AttackedModel> {
  return await AttackedModel.open({
    path: "m.onnx",
    bytes: brightestChannel(),
    input: "image",
    output: "logits",
    layer: "gap",
    classes: 3,
    height: 2,
    width: 2,
    pre: PLAIN,
    threads: 1,
  });
}
