/** The parts of a V8 .cpuprofile this summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One row of a self-time ranking. */
export interface SelfTime {
  name: string;
  /** Share of the sampled window, in percent. */
  pct: number;
  ms: number;
}

/**
 * Pure: self time by function and by package over samples in the last `windowMs` before
 * `endSkipMs` ahead of the profile's end (the steady-state window, not start-up or shutdown).
 */
export function summarizeProfile(profile: CpuProfile, windowMs: number, endSkipMs: number, top = 15) {
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const to = profile.endTime - endSkipMs * 1000;
  const from = to - windowMs * 1000;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let t = profile.startTime;
  let total = 0;
  profile.samples.forEach((id, i) => {
    t += profile.timeDeltas[i] ?? 0;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    if (t < from || t > to) return;
    const f = frames.get(id)!;
    const file = shortUrl(f.url);
    const name = file
      ? `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`
      : f.functionName || '(native code)';
    byFunction.set(name, (byFunction.get(name) ?? 0) + dt);
    byPackage.set(packageOf(f.functionName, file), (byPackage.get(packageOf(f.functionName, file)) ?? 0) + dt);
    total += dt;
  });
  const rank = (m: Map<string, number>): SelfTime[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, pct: Math.round((us / total) * 1000) / 10, ms: Math.round(us / 1000) }));
  return { sampledMs: Math.round(total / 1000), functions: rank(byFunction), packages: rank(byPackage) };
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/\/work\/main\//, '').replace(/^.*node_modules\//, 'node_modules/');
}

/** Pure: who owns a frame: a workspace package, an npm package, Node itself, or V8's buckets. */
function packageOf(functionName: string, file: string): string {
  if (!file)
    return functionName.startsWith('(') ? functionName : functionName ? `(native) ${functionName}` : '(native code)';
  if (file.startsWith('node:')) return 'node: core';
  const npm = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (npm) return npm[1]!;
  const ws = /^((?:packages|services)\/[^/]+)/.exec(file);
  return ws ? ws[1]! : file;
}
