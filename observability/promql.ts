/** What a PromQL expression reads: metric names, the labels its selectors match, the labels it groups by. */
export interface PromqlReferences {
  selectors: { metric: string | undefined; labels: string[] }[];
  grouping: string[];
}

type Token = { kind: 'ident' | 'matchers' | 'open' | 'close' | 'other'; text: string };

// https://prometheus.io/docs/prometheus/latest/querying/operators/#aggregation-operators
const AGGREGATIONS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set(['bool', 'and', 'or', 'unless', 'offset', 'atan2', 'inf', 'nan']);

/**
 * Lists what an expression references, for checking it against scraped metrics. A lexer, not a
 * full parser: enough for selectors, calls, aggregations and vector matching, and Grafana's
 * `$variables`. Pure.
 */
export function promqlReferences(expr: string): PromqlReferences {
  const tokens = tokenize(expr);
  const out: PromqlReferences = { selectors: [], grouping: [] };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const next = tokens[i + 1];
    if (t.kind === 'matchers') out.selectors.push({ metric: undefined, labels: matcherLabels(t.text) });
    if (t.kind !== 'ident') continue;
    const word = t.text.toLowerCase();
    if (GROUPING.has(word)) {
      if (next?.kind !== 'open') continue;
      for (i += 2; i < tokens.length && tokens[i]!.kind !== 'close'; i++)
        if (tokens[i]!.kind === 'ident') out.grouping.push(tokens[i]!.text);
    } else if (KEYWORDS.has(word) || AGGREGATIONS.has(word) || next?.kind === 'open') {
      continue; // A keyword, an aggregation, or a function call.
    } else if (next?.kind === 'matchers') {
      out.selectors.push({ metric: t.text, labels: matcherLabels(next.text) });
      i++;
    } else out.selectors.push({ metric: t.text, labels: [] });
  }
  return out;
}

/** The metric names an expression reads, sorted and unique. Pure. */
export function metricNames(expr: string): string[] {
  const names = promqlReferences(expr).selectors.flatMap((s) => (s.metric ? [s.metric] : []));
  return [...new Set(names)].sort();
}

/** The PromQL inside a Grafana Prometheus variable query (`label_values(sel, label)`, `query_result(expr)`), if any. Pure. */
export function variableQueryExpr(query: string): string | undefined {
  const q = query.trim();
  const labelValues = /^label_values\(\s*(.+?)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)$/s.exec(q);
  if (labelValues) return labelValues[1];
  const result = /^query_result\((.+)\)$/s.exec(q);
  return result?.[1];
}

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const skipString = (at: number): number => {
    const quote = expr[at];
    let j = at + 1;
    while (j < expr.length && expr[j] !== quote) j += quote !== '`' && expr[j] === '\\' ? 2 : 1;
    if (j >= expr.length) throw new Error(`cannot tokenize PromQL: unterminated string at ${at} in ${expr}`);
    return j + 1;
  };
  // Skips to the bracket closing the one at `at`, stepping over strings inside.
  const skipBlock = (at: number, close: string): number => {
    let j = at + 1;
    while (j < expr.length && expr[j] !== close) j = /["'`]/.test(expr[j]!) ? skipString(j) : j + 1;
    if (j >= expr.length) throw new Error(`cannot tokenize PromQL: unclosed "${expr[at]}" at ${at} in ${expr}`);
    return j + 1;
  };
  while (i < expr.length) {
    const c = expr[i]!;
    const rest = expr.slice(i);
    const ident = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(rest)?.[0];
    let token: Token | undefined = { kind: 'other', text: c };
    let end = i + 1;
    if (/\s/.test(c)) token = undefined;
    else if (c === '#') {
      token = undefined;
      end = expr.includes('\n', i) ? expr.indexOf('\n', i) : expr.length;
    } else if (/["'`]/.test(c)) end = skipString(i);
    else if (c === '{') {
      end = skipBlock(i, '}');
      token = { kind: 'matchers', text: expr.slice(i + 1, end - 1) };
    } else if (c === '[') end = skipBlock(i, ']');
    else if (c === '$') {
      // A Grafana variable: $name, ${name} or ${name:format}.
      end = expr[i + 1] === '{' ? skipBlock(i + 1, '}') : i + 1 + (/^\w*/.exec(rest.slice(1))?.[0].length ?? 0);
    } else if (/[0-9.]/.test(c)) {
      // Numbers, hex and durations (1e-3, 0x1f, 1h30m).
      end = i + (/^(0x[0-9a-f]+|[0-9]*\.?[0-9]+(e[+-]?[0-9]+)?[a-z0-9]*)/i.exec(rest)?.[0].length ?? 1);
    } else if (ident) {
      token = { kind: 'ident', text: ident };
      end = i + ident.length;
    } else if (c === '(' || c === ')') token = { kind: c === '(' ? 'open' : 'close', text: c };
    if (token) tokens.push(token);
    i = end;
  }
  return tokens;
}

function matcherLabels(matchers: string): string[] {
  const bare = matchers.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  return [...bare.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((m) => m[1]!);
}
