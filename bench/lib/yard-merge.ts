// The side-by-side phase's last step: each system's own "merge everything" and the disk it leaves.
// VictoriaLogs: /internal/force_merge per day partition, while running. Ours: the server stops
// (graceful: everything acknowledged is stored), then OPTIMIZE TABLE … FINAL on its data directory.
import { rmSync } from 'node:fs';
import { createChdbTransport } from '@instant-logs/store';
import type { ServerHandle } from './server.ts';
import { cpuSeconds, round } from './stats.ts';
import { diskUsage, waitQuiet, type QuietOptions } from './yard-load.ts';
import type { YardFacts } from './yard-records.ts';

/** Pure: the YYYYMMDD names of the UTC days [fromMs, toMs) touches: VictoriaLogs' partitions. */
export function dayPartitions(fromMs: number, toMs: number): string[] {
  const days: string[] = [];
  for (let d = Math.floor(fromMs / 86_400_000); d * 86_400_000 < toMs; d++)
    days.push(new Date(d * 86_400_000).toISOString().slice(0, 10).replaceAll('-', ''));
  return days;
}

/** Merges both systems' data as far as each allows, measures the disk, stops both and removes their directories. */
export async function finalMerge(ours: ServerHandle, victoria: ServerHandle, facts: YardFacts, quiet: QuietOptions) {
  let t0 = performance.now();
  const cpu0 = cpuSeconds(victoria.pid);
  const days = dayPartitions(facts.fromMs, facts.toMs);
  for (const day of days)
    await fetch(`http://127.0.0.1:${victoria.port}/internal/force_merge?partition_prefix=${day}`).then((r) =>
      r.arrayBuffer(),
    );
  // The merge runs in the background; VictoriaLogs logs its end for each partition.
  const finished = (day: string) =>
    victoria.output().includes(`forced merge for partition_prefix="${day}" has been successfully finished`);
  while (!days.every(finished)) {
    if (performance.now() - t0 > 300_000)
      throw new Error(`VictoriaLogs forced merge did not finish in 300 s:\n${victoria.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await waitQuiet(victoria.pid, quiet);
  const victoriaMerged = {
    ...diskUsage(victoria.dataDir),
    mergeS: round((performance.now() - t0) / 1000),
    mergeCpuS: round(cpuSeconds(victoria.pid) - cpu0),
  };
  await victoria.stop();

  await ours.stop({ keepData: true });
  const transport = createChdbTransport({ path: ours.dataDir });
  try {
    // Parts a merge replaced stay on disk for old_parts_lifetime (8 min) before ClickHouse deletes
    // them, and not all of them are listed in system.parts after a restart: of store/ only the
    // active parts count, with everything outside store/ (the local log, metadata) as du sees it.
    const parts = async () => {
      const [p] = await transport.query<{
        activeParts: string;
        activeRows: string;
        activeBytes: string;
        outdatedBytes: string;
      }>(
        `SELECT countIf(active) AS activeParts, sumIf(rows, active) AS activeRows,
                sumIf(bytes_on_disk, active) AS activeBytes, sumIf(bytes_on_disk, NOT active) AS outdatedBytes
         FROM system.parts WHERE database NOT IN ('system')`,
      );
      const du = diskUsage(ours.dataDir);
      return {
        ...du,
        activeParts: Number(p!.activeParts),
        rows: Number(p!.activeRows),
        partsBytes: Number(p!.activeBytes),
        outdatedPartsBytes: Number(p!.outdatedBytes),
        bytesKept: du.bytes - (du.entries['store'] ?? 0) + Number(p!.activeBytes),
      };
    };
    const reopened = await parts();
    t0 = performance.now();
    const tables = await transport.query<{ database: string; name: string }>(
      `SELECT database, name FROM system.tables
       WHERE engine LIKE '%MergeTree' AND database NOT IN ('system', 'information_schema', 'INFORMATION_SCHEMA')`,
    );
    for (const t of tables) await transport.command(`OPTIMIZE TABLE \`${t.database}\`.\`${t.name}\` FINAL`);
    const mergeS = round((performance.now() - t0) / 1000);
    const oursMerged = { ...(await parts()), mergeS };
    await transport.close();
    return { ours: { reopened, merged: oursMerged }, victoria: victoriaMerged };
  } finally {
    rmSync(ours.dataDir, { recursive: true, force: true });
  }
}
