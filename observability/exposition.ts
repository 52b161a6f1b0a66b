/** One sample line of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its `# TYPE`, `# HELP` and samples. */
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
// The sample names a family of each type may expose besides its own name
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-format-details).
const SUFFIXES: Record<Family['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Parses the Prometheus text exposition format (version 0.0.4) into families, keyed by name.
 * Pure: throws "cannot parse line N: …" on the first malformed line.
 */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', help: '', samples: [] }));
    return f;
  };
  let current: Family | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const fail = (why: string): never => {
      throw new Error(`cannot parse line ${i + 1}: ${why}: ${raw}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) return; // Any other comment is allowed and meaningless.
      const [keyword, name, rest] = [m[1]!, m[2]!, m[3] ?? ''];
      if (METRIC_NAME.exec(name)?.[0] !== name) fail('invalid metric name');
      const f = family(name);
      if (keyword === 'HELP') f.help = rest.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
      else {
        if (!TYPES.has(rest)) fail(`unknown type "${rest}"`);
        if (f.samples.length > 0) fail('TYPE after the samples of its family');
        f.type = rest as Family['type'];
      }
      current = f;
      return;
    }
    const sample = parseSample(line, fail);
    const owner =
      current && SUFFIXES[current.type].some((s) => sample.name === current!.name + s) ? current : family(sample.name);
    if (owner.type === 'histogram' && sample.name.endsWith('_bucket') && !('le' in sample.labels))
      fail('histogram bucket without "le"');
    owner.samples.push(sample);
    current = owner;
  });
  return families;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  let rest = line;
  const name = METRIC_NAME.exec(rest)?.[0] ?? fail('invalid metric name');
  rest = rest.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.trimStart().startsWith('{')) {
    rest = rest.trimStart().slice(1).trimStart();
    while (!rest.startsWith('}')) {
      const label = LABEL_NAME.exec(rest)?.[0] ?? fail('invalid label name');
      rest = rest.slice(label.length).trimStart();
      if (!rest.startsWith('=')) fail(`expected "=" after label ${label}`);
      rest = rest.slice(1).trimStart();
      if (!rest.startsWith('"')) fail(`expected a quoted value for label ${label}`);
      let value = '';
      let j = 1;
      for (; j < rest.length && rest[j] !== '"'; j++) {
        if (rest[j] !== '\\') value += rest[j];
        else {
          const c = rest[++j];
          if (c === 'n') value += '\n';
          else if (c === '\\' || c === '"') value += c;
          else fail(`invalid escape "\\${c ?? ''}" in label ${label}`);
        }
      }
      if (j >= rest.length) fail(`unterminated value of label ${label}`);
      if (label in labels) fail(`duplicate label ${label}`);
      labels[label] = value;
      rest = rest.slice(j + 1).trimStart();
      if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
      else if (!rest.startsWith('}')) fail('expected "," or "}" after a label');
    }
    rest = ` ${rest.slice(1)}`;
  }
  if (!/^\s/.test(rest)) fail('expected whitespace before the value');
  const [valueText, timestamp, extra] = rest.trim().split(/\s+/);
  if (!valueText || extra !== undefined) fail('expected a value and an optional timestamp');
  if (timestamp !== undefined && !/^-?\d+$/.test(timestamp)) fail(`invalid timestamp "${timestamp}"`);
  return { name, labels, value: parseValue(valueText, fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (/^[+]?Inf$/i.test(text)) return Infinity;
  if (/^-Inf$/i.test(text)) return -Infinity;
  if (/^NaN$/i.test(text)) return NaN;
  const n = Number(text);
  if (text.trim() === '' || Number.isNaN(n)) fail(`invalid value "${text}"`);
  return n;
}

/** Pure: every sample name that has at least one sample, with the label names seen on it. */
export function sampleLabels(families: Iterable<Family>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of families) {
    for (const s of f.samples) {
      const labels = out.get(s.name) ?? new Set<string>();
      for (const l of Object.keys(s.labels)) labels.add(l);
      out.set(s.name, labels);
    }
  }
  return out;
}
