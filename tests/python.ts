/**
 * The tests that run Debian's Python (the zoo's training scripts, the
 * paper's model recipes): whether it has the modules they need, a note when
 * it has not (the tests are then ignored), and running a command to its end.
 */

/** Debian's Python, which the training scripts and recipes use (another may be first on PATH). */
export const PY = "/usr/bin/python3";

/**
 * Whether /usr/bin/python3 imports every module named; if not, says once for
 * `file` that its tests are ignored and which Debian packages bring them.
 */
export function pythonHas(file: string, modules: string[], packages: string[]): boolean {
  let ok = false;
  try {
    ok = new Deno.Command(PY, { args: ["-c", `import ${modules.join(", ")}`], stderr: "null" })
      .outputSync().success;
  } catch { /* no python at all */ }
  if (!ok) {
    console.log(
      `${file}: ignored, ${PY} lacks ${modules.join(" and ")} ` +
        `(apt-get install ${packages.join(" ")} to run it)`,
    );
  }
  return ok;
}

/** A finished command: whether it succeeded, its stdout, and stdout and stderr together. */
export interface Ran {
  ok: boolean;
  stdout: string;
  out: string;
}

/** Runs `cmd` with `args` to its end. */
export async function runCommand(cmd: string, args: string[]): Promise<Ran> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const d = new TextDecoder();
  const stdout = d.decode(r.stdout);
  return { ok: r.success, stdout, out: stdout + d.decode(r.stderr) };
}
