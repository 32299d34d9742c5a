/** Writing a large Parquet table through the appender, against building the same rows as JSON. */
import { join } from "node:path";
import { TableWriter } from "../engine/table_writer.ts";
import { type Benchmark, timeIt } from "./harness.ts";

const ROWS = 500_000;

/** Writing rows to Parquet against serializing them to JSON. */
export const tableWriter: Benchmark = {
  name: "table-writer",
  description: `${ROWS} rows (layer, unit, concept, counts, iou) to Parquet vs to a JSON string`,
  async run() {
    const dir = await Deno.makeTempDir();
    const row = (i: number) => ({
      layer: "conv5_3",
      unit: i % 512,
      concept: i % 977,
      inter: i * 3,
      union: i * 7 + 1,
      iou: (i * 3) / (i * 7 + 1),
    });
    const parquet = await timeIt(async () => {
      const w = await TableWriter.create(join(dir, "t.parquet"), {
        layer: "VARCHAR",
        unit: "INTEGER",
        concept: "INTEGER",
        inter: "BIGINT",
        union: "BIGINT",
        iou: "DOUBLE",
      });
      for (let i = 0; i < ROWS; i++) w.append(row(i));
      await w.close();
    }, 1);
    const json = await timeIt(async () => {
      const parts: string[] = [];
      for (let i = 0; i < ROWS; i++) parts.push(JSON.stringify(row(i)));
      await Deno.writeTextFile(join(dir, "t.json"), parts.join("\n"));
    }, 1);
    await Deno.remove(dir, { recursive: true });
    return {
      metrics: { parquet_s: parquet, json_s: json, rows_per_s: ROWS / parquet },
      ratios: [{ name: "parquet / json", value: parquet / json, max: 3 }],
    };
  },
};
