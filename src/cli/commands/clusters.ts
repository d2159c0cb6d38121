// `studio-jobs clusters`: the compute clusters a job may run on.

import { connect, type GlobalOptions } from "../connect.js";
import type { CliIo } from "../io.js";
import { formatTable } from "../../render/table.js";
import { jsonForReaders, printable } from "../../invisible.js";

export async function runClusters(globals: GlobalOptions, options: { format: string }, io: CliIo): Promise<number> {
  const { client, team } = await connect(globals, io);
  try {
    const clusters = await client.listClusters(team);
    if (options.format === "json") {
      io.stdout.write(jsonForReaders(clusters));
      return 0;
    }
    // An empty table (its header alone) reads as a listing cut short.
    if (clusters.length === 0) {
      io.stdout.write(`No compute clusters in Studio${team === undefined ? "" : ` for team ${printable(team)}`}.\n`);
      return 0;
    }
    const rows = clusters.map((c) => [
      String(c.id),
      c.name,
      c.is_active ? "active" : "inactive",
      c.default ? "yes" : "",
      String(c.max_workers),
      c.cloud_provider ?? "",
    ]);
    io.stdout.write(await formatTable(["ID", "NAME", "STATUS", "DEFAULT", "MAX WORKERS", "CLOUD"], rows));
    return 0;
  } finally {
    await client.close();
  }
}
