/**
 * Which onnxruntime execution providers run the models: the CPU by default,
 * or CUDA where onnxruntime-node's CUDA provider is installed. The npm
 * package ships the CPU runtime only; its install script fetches the CUDA
 * provider's libraries from outside the registry when asked to, so asking
 * for "cuda" without them is a one-line error saying how to install them,
 * checked before any model is opened.
 *
 * The choice is the process's (every session of a run uses it) and not part
 * of stage keys: a run on another provider reuses what one on the CPU
 * computed. Providers can differ in the last bits of a float, so the counts
 * of a run on the GPU may differ by a few pixels from one on the CPU.
 */
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { DissectError } from "../engine/errors.ts";

/** The providers a config may name. */
export const EXECUTION_PROVIDERS = ["cpu", "cuda"] as const;
/** One of them. */
export type ExecutionProvider = typeof EXECUTION_PROVIDERS[number];

let chosen: ExecutionProvider[] = ["cpu"];

/** The providers sessions are created with, in order of preference. */
export function executionProviders(): readonly ExecutionProvider[] {
  return chosen;
}

/**
 * Makes every session this process creates use `providers` (falling back to
 * the CPU for operators a provider lacks), once each is checked to be
 * installed. `field` names the config field in errors.
 */
export function useExecutionProviders(
  providers: readonly ExecutionProvider[],
  field = "executionProviders",
  bindingDirs: readonly string[] = onnxruntimeBinaryDirs(),
): void {
  if (providers.includes("cuda") && !bindingDirs.some(hasCudaProvider)) {
    throw new DissectError(
      "CONFIG",
      `${field}: "cuda" needs onnxruntime-node's CUDA provider (libonnxruntime_providers_cuda.so), ` +
        `which is not installed beside ${bindingDirs[0] ?? "its native binding"}`,
      "on a Linux x64 machine with CUDA 12 and a network, run " +
        "`ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js`, " +
        'or leave "cuda" out to run on the CPU',
    );
  }
  chosen = [...new Set([...providers, "cpu" as const])];
}

/** Whether this machine's onnxruntime-node has its CUDA provider installed. */
export function cudaInstalled(): boolean {
  return onnxruntimeBinaryDirs().some(hasCudaProvider);
}

function hasCudaProvider(dir: string): boolean {
  try {
    return Deno.statSync(join(dir, "libonnxruntime_providers_cuda.so")).isFile;
  } catch {
    return false;
  }
}

/** The folders holding onnxruntime-node's native binding for this platform. */
function onnxruntimeBinaryDirs(): string[] {
  let root: string;
  try {
    root = dirname(dirname(createRequire(import.meta.url).resolve("onnxruntime-node")));
  } catch {
    return [];
  }
  const bin = join(root, "bin");
  const dirs: string[] = [];
  try {
    for (const napi of Deno.readDirSync(bin)) {
      dirs.push(
        join(bin, napi.name, Deno.build.os, Deno.build.arch === "x86_64" ? "x64" : "arm64"),
      );
    }
  } catch { /* no bin folder: nothing installed */ }
  return dirs;
}
