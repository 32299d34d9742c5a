/**
 * One writer per store. The lock file holds the owner's pid, host, command
 * and (on Linux) the process's start time; a lock whose process is gone
 * (killed, crashed), or whose pid now belongs to a process that started at
 * another time (pid reuse after a restart), is stale and is taken over. A
 * second live run waits (--wait) or is refused by name.
 */
import { hostname } from "node:os";
import process from "node:process";
import { join } from "node:path";
import { DissectError, storeError } from "./errors.ts";

interface LockInfo {
  pid: number;
  host: string;
  started: string;
  command: string;
  /** The process's start time in clock ticks since boot (/proc/PID/stat), where known. */
  startTicks?: string;
}

/**
 * A process's start time in clock ticks since boot: field 22 of
 * /proc/PID/stat, counted after the command name (which may hold spaces and
 * parentheses). Null where /proc cannot tell (another OS, a gone process).
 */
export function processStartTicks(pid: number): string | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
}

/** The store's lock, held by this process until released. */
export interface StoreLock {
  release(): void;
}

/** Takes the store's lock (or waits for it); a lock left by a dead process is taken over. */
export async function acquireLock(
  storeRoot: string,
  opts: { wait?: boolean; command?: string; log?: (m: string) => void } = {},
): Promise<StoreLock> {
  try {
    await Deno.mkdir(storeRoot, { recursive: true });
  } catch (e) {
    throw storeError(e) ?? new DissectError(
      "STORE",
      `cannot create the store ${storeRoot}: ${
        (e as Error).message.replace(/ \(os error \d+\).*/, "")
      }`,
      "give --store a folder you can write",
    );
  }
  const path = join(storeRoot, "lock");
  const mine: LockInfo = {
    pid: Deno.pid,
    host: hostname(),
    started: new Date().toISOString(),
    command: opts.command ?? "dissect",
    startTicks: processStartTicks(Deno.pid) ?? undefined,
  };
  let announced = false;
  while (true) {
    try {
      const f = Deno.openSync(path, { write: true, createNew: true });
      f.writeSync(new TextEncoder().encode(JSON.stringify(mine)));
      f.close();
      return {
        release() {
          const holder = readLock(path);
          if (holder?.pid === Deno.pid) Deno.removeSync(path);
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    const holder = readLock(path);
    if (holder === null || isStale(holder)) {
      // The holder is gone. Move its lock aside under a unique name, then check
      // that what moved is that stale lock: if another process took it over
      // first, what moved is its fresh lock, and it goes back in place.
      const aside = `${path}.stale-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
      try {
        Deno.renameSync(path, aside);
      } catch {
        continue; // gone already: someone else took it over
      }
      const moved = readLock(aside);
      if (moved && holder && (moved.pid !== holder.pid || moved.started !== holder.started)) {
        try {
          Deno.linkSync(aside, path);
        } catch { /* a third process holds it now */ }
      } else {
        opts.log?.(
          `taking over a stale lock of ${storeRoot}` +
            (holder
              ? ` (pid ${holder.pid} ${
                processStartTicks(holder.pid) === null ? "is gone" : "is another process now"
              })`
              : " (unreadable lock file)"),
        );
      }
      Deno.removeSync(aside);
      continue;
    }
    if (!opts.wait) {
      throw new DissectError(
        "STORE_LOCKED",
        holder.pid === -1
          ? `the store ${storeRoot} is being locked by another process right now`
          : `the store ${storeRoot} is in use by pid ${holder.pid} on ${holder.host} ` +
            `since ${holder.started} (${holder.command})`,
        "wait for it to finish, or pass --wait to queue behind it",
      );
    }
    if (!announced) {
      opts.log?.(`waiting for pid ${holder.pid} (${holder.command}) to release ${storeRoot}`);
      announced = true;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function readLock(path: string): LockInfo | null {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as LockInfo;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    // Half-written by a process killed mid-write: stale only if it is old.
    try {
      const age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
      return age > 5000 ? null : { pid: -1, host: "", started: "", command: "" };
    } catch {
      return null;
    }
  }
}

function isStale(info: LockInfo): boolean {
  if (info.pid === -1) return false; // being written right now
  if (info.host !== hostname()) return false; // cannot check another machine
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return (e as { code?: string }).code === "ESRCH";
  }
  // Alive: but the same process only if it started when the lock's holder did.
  const now = processStartTicks(info.pid);
  if (info.startTicks !== undefined) return now !== null && now !== info.startTicks;
  // A lock without a start time (an older dissect): a process younger than the lock is not its holder.
  const startedMs = processStartMs(now);
  return startedMs !== null && startedMs > Date.parse(info.started) + 2000;
}

/** A process's start time in ms since the epoch, from its start ticks and the boot time. */
function processStartMs(ticks: string | null): number | null {
  if (ticks === null) return null;
  try {
    const btime = /^btime (\d+)$/m.exec(Deno.readTextFileSync("/proc/stat"))?.[1];
    // Linux reports start times in USER_HZ ticks, 100 per second on every common platform.
    return btime ? Number(btime) * 1000 + Number(ticks) * 10 : null;
  } catch {
    return null;
  }
}
