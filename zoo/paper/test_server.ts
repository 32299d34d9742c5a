/**
 * A file server on 127.0.0.1 for the fetcher's tests: with or without Range support, and able to
 * break its first answer for a file (cut the connection half-way, or stall) to test resuming.
 */

/** How the server misbehaves. */
export interface ServeOptions {
  /** Answer `Range: bytes=N-` with 206 (true) or ignore it and send the whole file (false). */
  ranges?: boolean;
  /** The first answer for each file sends half of it, then cuts the connection. */
  cutFirst?: boolean;
  /** The first answer for each file sends half of it, then sends nothing more. */
  stallFirst?: boolean;
}

/** A running server: file URLs, the requests it saw, and disposal that shuts it down. */
export interface FileServer extends AsyncDisposable {
  url(name: string): string;
  /** Every request in order: the file asked for and its Range header ("" when none). */
  requests: { name: string; range: string }[];
  /** Body bytes sent, over all answers (counting only what was enqueued). */
  sent(): number;
}

/** A port nothing listens on: a URL there fails at once with "connection refused". */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Serves `files` by name at `http://127.0.0.1:PORT/NAME`. */
export function serveFiles(
  files: Record<string, Uint8Array<ArrayBuffer>>,
  opts: ServeOptions = {},
): FileServer {
  const requests: { name: string; range: string }[] = [];
  const answered = new Set<string>();
  const pending = new Set<() => void>();
  let sent = 0;

  const handler = (req: Request): Response => {
    const name = decodeURIComponent(new URL(req.url).pathname.slice(1));
    const range = req.headers.get("range") ?? "";
    requests.push({ name, range });
    const bytes = files[name];
    if (!bytes) return new Response("not found", { status: 404 });
    const first = !answered.has(name);
    answered.add(name);

    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(range);
    if (opts.ranges && m) {
      start = Number(m[1]);
      if (start >= bytes.length) {
        return new Response(null, {
          status: 416,
          headers: { "content-range": `bytes */${bytes.length}` },
        });
      }
    }
    const body = bytes.subarray(start);
    const headers: Record<string, string> = { "content-length": String(body.length) };
    if (start > 0) headers["content-range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
    const status = start > 0 ? 206 : 200;

    if (first && (opts.cutFirst || opts.stallFirst)) {
      const half = body.subarray(0, Math.floor(body.length / 2));
      let pulls = 0;
      const stream = new ReadableStream<Uint8Array<ArrayBuffer>>({
        pull: async (controller) => {
          if (pulls++ === 0) {
            sent += half.length;
            controller.enqueue(half);
            return;
          }
          if (opts.cutFirst) {
            // Ending short of Content-Length makes the server drop the connection.
            controller.close();
            return;
          }
          // Stall until the client gives up (or, at the latest, a bounded while).
          await new Promise<void>((resolve) => {
            const timer = setTimeout(finish, 5000);
            function finish() {
              clearTimeout(timer);
              pending.delete(finish);
              resolve();
            }
            pending.add(finish);
          });
          controller.close();
        },
      });
      return new Response(stream, { status, headers });
    }
    sent += body.length;
    return new Response(body, { status, headers });
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const port = server.addr.port;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    requests,
    sent: () => sent,
    [Symbol.asyncDispose]: async () => {
      for (const finish of [...pending]) finish();
      await server.shutdown();
    },
  };
}
