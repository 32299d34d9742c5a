/**
 * `deno task paint`: serve the paint page on the latest run's dissection.
 *   deno task paint [--port N] [--host H] [--store DIR] [--config FILE] [--boost X]
 * Prints the page's address; Ctrl-C stops it. Exit codes: 0 stopped,
 * 2 bad usage, missing run or busy port.
 */
import { parseArgs } from "node:util";
import { isDissectError } from "../engine/errors.ts";
import { openPaintApp } from "./app.ts";
import { loadStatic, paintHandler } from "./server.ts";

const USAGE = `usage: deno task paint [options]
  --port N        port to listen on (default 8765; 0 picks a free one)
  --host H        interface to listen on (default 127.0.0.1, this machine only)
  --store DIR     the artifact store (default: artifacts)
  --config FILE   the run configuration whose latest run to paint with (default: built-in)
  --boost X       drawing sets units to X times their threshold t_u (default 1)`;

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: "string", default: "8765" },
        host: { type: "string", default: "127.0.0.1" },
        store: { type: "string" },
        config: { type: "string" },
        boost: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = Number(values.port);
  const boost = values.boost === undefined ? undefined : Number(values.boost);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be an integer from 0 to 65535, got ${values.port}`);
    return 2;
  }
  if (boost !== undefined && !(boost > 0 && Number.isFinite(boost))) {
    console.error(`--boost must be a positive number, got ${values.boost}`);
    return 2;
  }
  const app = await openPaintApp({ store: values.store, configPath: values.config, boost });
  const handler = paintHandler(app.painter, app, await loadStatic());
  const { painter } = app;
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      port,
      hostname: values.host,
      onListen({ port }) {
        const host = values.host === "127.0.0.1" || values.host === "0.0.0.0"
          ? "localhost"
          : values.host;
        console.log(`paint: http://${host}:${port}/`);
        console.log(
          `  ${painter.palette.length} concepts at ${app.layer} (${painter.grid.h}x` +
            `${painter.grid.w} cells), ${painter.samples} samples, from run ${app.run.runId} ` +
            `in ${app.run.store}; Ctrl-C stops it`,
        );
      },
    }, handler);
  } catch (e) {
    if (e instanceof Deno.errors.AddrInUse) {
      console.error(`port ${port} is in use: choose another with --port (0 picks a free one)`);
      return 2;
    }
    throw e;
  }
  const stop = () => server.shutdown();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  await server.finished;
  await painter.release();
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    if (isDissectError(e)) {
      console.error(e.describe());
      Deno.exit(2);
    }
    throw e;
  }
}
