/**
 * The code identity of a stage: the content of its module and of every local
 * module reachable from it through static or literal dynamic imports, plus the
 * pinned versions of the npm packages those modules import (read from the
 * deno.json import map). Found by walking the module graph from the source
 * text, so nobody has to list a stage's helpers by hand. `deno info --json`
 * resolves the same graph (a test checks every stage against it) but costs
 * about 30 times as much, on every plan.
 */
import { dirname, relative, resolve } from "node:path";
import { fromFileUrl } from "./paths.ts";
import { sha256 } from "./hash.ts";

/** What a stage's key holds of its code: the digests of its local modules and the npm packages they import. */
export interface CodeIdentity {
  /** project-relative path -> sha256 of its content */
  files: Record<string, string>;
  /** bare specifier -> pinned target, e.g. "zod" -> "npm:zod@4.6.7" */
  packages: Record<string, string>;
}

const IMPORT_PATTERNS = [
  /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*["']([^"']+)["']/g,
  /\bimport\s*["']([^"']+)["']/g,
  /\bimport\(\s*["']([^"']+)["']\s*\)/g,
];

/** The module specifiers a TypeScript source imports (static and dynamic imports, re-exports). */
export function importSpecifiers(source: string): string[] {
  const found = new Set<string>();
  for (const pattern of IMPORT_PATTERNS) {
    for (const m of source.matchAll(pattern)) found.add(m[1]);
  }
  return [...found];
}

/** Derives a stage module's code identity by walking its imports; caches module digests. */
export class CodeHasher {
  #fileCache = new Map<string, { hash: string; imports: string[] }>();

  /**
   * @param root project root: paths in identities are relative to it
   * @param importMap the "imports" of deno.json
   */
  constructor(
    readonly root: string,
    readonly importMap: Record<string, string>,
  ) {}

  static async forProject(root: string): Promise<CodeHasher> {
    const text = await Deno.readTextFile(resolve(root, "deno.json"));
    const config = JSON.parse(text) as { imports?: Record<string, string> };
    return new CodeHasher(root, config.imports ?? {});
  }

  async identity(entry: string): Promise<CodeIdentity> {
    const files: Record<string, string> = {};
    const packages: Record<string, string> = {};
    const queue = [resolve(entry.startsWith("file:") ? fromFileUrl(entry) : entry)];
    const seen = new Set<string>();
    while (queue.length > 0) {
      const path = queue.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const mod = await this.#read(path);
      if (!mod) continue; // a specifier in a comment or string: nothing to hash
      files[relative(this.root, path)] = mod.hash;
      for (const spec of mod.imports) {
        if (spec.startsWith("./") || spec.startsWith("../")) {
          queue.push(resolve(dirname(path), spec));
        } else if (spec.startsWith("node:")) {
          continue; // part of the runtime, versioned with Deno
        } else {
          const bare = this.#bareName(spec);
          packages[bare] = this.importMap[bare] ?? spec;
        }
      }
    }
    return { files, packages };
  }

  #bareName(spec: string): string {
    if (spec in this.importMap) return spec;
    // "pkg/sub" resolves through the "pkg" entry of the import map
    const parts = spec.split("/");
    const name = spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
    return name;
  }

  async #read(path: string) {
    const cached = this.#fileCache.get(path);
    if (cached) return cached;
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
    const mod = { hash: sha256(text), imports: importSpecifiers(text) };
    this.#fileCache.set(path, mod);
    return mod;
  }
}
