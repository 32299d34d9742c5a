/** Reading a generator's stored latents (latents.f32, [count][dim]) batch by batch. */
import { DissectError } from "../engine/errors.ts";

/** Reads a generator's stored latent vectors by index range. */
export class LatentReader {
  readonly count: number;

  constructor(readonly path: string, readonly dim: number) {
    let size: number;
    try {
      size = Deno.statSync(path).size;
    } catch {
      throw new DissectError("DATA", `no latents at ${path}`);
    }
    if (size % (4 * dim) !== 0) {
      throw new DissectError(
        "DATA",
        `${path} holds ${size} bytes, not a whole number of ${dim}-dim latents`,
      );
    }
    this.count = size / (4 * dim);
  }

  read(start: number, end: number): Float32Array {
    const out = new Float32Array((end - start) * this.dim);
    const bytes = new Uint8Array(out.buffer);
    const f = Deno.openSync(this.path, { read: true });
    try {
      f.seekSync(start * this.dim * 4, Deno.SeekMode.Start);
      for (let got = 0; got < bytes.length;) {
        const n = f.readSync(bytes.subarray(got));
        if (!n) throw new DissectError("DATA", `${this.path} is truncated`);
        got += n;
      }
    } finally {
      f.close();
    }
    return out;
  }
}
