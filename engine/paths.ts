/** Where things live: the project root and file-URL conversion. */
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, resolve } from "node:path";

/** The file system path of a file: URL. */
export function fromFileUrl(url: string): string {
  return fileURLToPath(url);
}

/** The file: URL of an absolute or relative path. */
export function toFileUrl(path: string): string {
  return pathToFileURL(path).href;
}

/** The project root: the folder that holds deno.json and pipeline.ts. */
export const PROJECT_ROOT = resolve(dirname(fromFileUrl(import.meta.url)), "..");
