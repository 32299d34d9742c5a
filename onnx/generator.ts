/**
 * A generator opened for sampling: one latent input [batch, latent] and an
 * RGB output [batch, 3, H, H], both checked, the first before anything runs
 * and the second on the first batch.
 */
import * as ort from "onnxruntime-node";
import { DissectError } from "../engine/errors.ts";
import { createSession, inspectBytes } from "./model.ts";

/** A batch of generated images: planar floats [n, 3, size, size] as the model gives them. */
export interface Generated {
  data: Float32Array;
  size: number;
}

/** A generator model's session, its latent size, and a checked forward pass. */
export class Generator {
  private constructor(
    readonly path: string,
    readonly latent: number,
    private input: string,
    private output: string,
    private session: ort.InferenceSession,
  ) {}

  /** Opens the model `bytes` (named `path` in errors); refuses an input that is not [batch, latent]. */
  static async open(path: string, bytes: Uint8Array, threads: number): Promise<Generator> {
    const info = inspectBytes(path, bytes);
    const input = info.inputs[0];
    const latent = input.dims[1];
    if (input.dims.length !== 2 || typeof latent !== "number") {
      throw new DissectError(
        "MODEL",
        `${path}: a generator takes one input [batch, latent]; "${input.name}" is ${
          input.dims.join("x")
        }`,
      );
    }
    const session = await createSession(path, bytes, threads);
    return new Generator(path, latent, input.name, info.outputs[0].name, session);
  }

  /** The images of n latents (n x latent, row-major); refuses an output that is not square RGB. */
  async generate(latents: Float32Array, n: number): Promise<Generated> {
    const feeds = { [this.input]: new ort.Tensor("float32", latents, [n, this.latent]) };
    const t = (await this.session.run(feeds))[this.output];
    const [, c, h, w] = t.dims as number[];
    if (t.dims.length !== 4 || c !== 3 || h !== w) {
      throw new DissectError(
        "MODEL",
        `${this.path}: output "${this.output}" is ${t.dims.join("x")}, expected Nx3xHxH RGB`,
      );
    }
    return { data: t.data as Float32Array, size: h };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
