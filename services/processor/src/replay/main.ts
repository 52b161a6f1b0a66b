import { replayDeadLetters } from './replay.ts';
import { parseReplayArgs, USAGE } from './select.ts';

// Operator CLI: put dead letters back into the pipeline once the cause is fixed.
const parsed = parseReplayArgs(process.argv.slice(2));
if ('help' in parsed) {
  console.log(USAGE);
} else if ('problems' in parsed) {
  console.error(`${parsed.problems.join('\n')}\n${USAGE}`);
  process.exitCode = 2;
} else {
  const o = parsed.options;
  const filters =
    [o.tenant !== undefined ? `tenant ${o.tenant}` : '', o.matchError ? `error matching ${o.matchError}` : '']
      .filter(Boolean)
      .join(', ') || 'none';
  console.log(
    `Replaying ${o.from} → ${o.to} as group ${o.group}; filters: ${filters}${o.dryRun ? '; dry run: nothing is published or committed' : ''}`,
  );
  try {
    const { replayed, skipped, left } = await replayDeadLetters(o);
    console.log(
      `${o.dryRun ? 'Would have replayed' : 'Replayed'} ${replayed} records, skipped ${skipped}, left ${left} in ${o.from}`,
    );
  } catch (err) {
    console.error(`Cannot replay ${o.from}: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
