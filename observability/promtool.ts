import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const INSTALL = fileURLToPath(new URL('./install-promtool.sh', import.meta.url));

export interface PromtoolResult {
  status: number;
  output: string;
}

/** A promtool runner; fetches promtool with install-promtool.sh first when none is found, and throws rather than let a test skip. */
export function findPromtool(): { path: string; version: string; run(args: string[], stdin?: string): PromtoolResult } {
  const path = execFileSync('sh', [INSTALL], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 300_000,
  }).trim();
  const run = (args: string[], stdin?: string): PromtoolResult => {
    const r = spawnSync(path, args, { encoding: 'utf8', input: stdin ?? '', timeout: 60_000 });
    if (r.error) throw new Error(`cannot run ${path} ${args.join(' ')}: ${r.error.message}`);
    return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
  };
  const version = /version (\S+)/.exec(run(['--version']).output)?.[1];
  if (!version) throw new Error(`cannot read the version of ${path}`);
  return { path, version, run };
}
