import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { metricNames, promqlReferences, variableQueryExpr } from './promql.ts';

export const CHART_FILES = fileURLToPath(new URL('../charts/instant-logs-operator/files/', import.meta.url));

/** A PromQL expression and where it is written, for error messages. */
export interface Query {
  where: string;
  expr: string;
}

interface RuleFile {
  groups: {
    name: string;
    rules: {
      alert?: string;
      record?: string;
      expr: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }[];
  }[];
}
/** The fields of Grafana's dashboard JSON model the tests look at. */
export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; datasource?: { type: string; uid: string } }[];
  panels?: DashboardPanel[];
}
export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

// Labels Prometheus (and the Prometheus Operator's ServiceMonitors) put on every scraped sample.
export const TARGET_LABELS = new Set(['job', 'instance', 'namespace', 'pod', 'service', 'container', 'endpoint']);

/** The dashboards in the chart, keyed by file name. */
export function readDashboards(dir = join(CHART_FILES, 'dashboards')): Map<string, Dashboard> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const parse = (f: string) => {
    try {
      return JSON.parse(readFileSync(join(dir, f), 'utf8')) as Dashboard;
    } catch (err) {
      throw new Error(`cannot parse dashboard ${f}: ${(err as Error).message}`, { cause: err });
    }
  };
  return new Map(files.map((f) => [f, parse(f)]));
}

/** The rule files in the chart, keyed by file name. */
export function readRuleFiles(dir = join(CHART_FILES, 'rules')): Map<string, RuleFile> {
  const files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return new Map(files.map((f) => [f, load(readFileSync(join(dir, f), 'utf8')) as RuleFile]));
}

/** Pure: every non-row panel, rows' nested panels included. */
export function panelsOf(d: Dashboard): DashboardPanel[] {
  return d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
}

/** Pure: every PromQL expression of a dashboard: panel targets and variable queries. */
export function dashboardQueries(file: string, d: Dashboard): Query[] {
  const targets = panelsOf(d).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `${file} panel ${p.id} "${p.title}" ${t.refId}`, expr: t.expr })),
  );
  const variables = d.templating.list.flatMap((v) => {
    const text = typeof v.query === 'string' ? v.query : (v.query as { query?: string } | null)?.query;
    const expr = v.type === 'query' && text ? variableQueryExpr(text) : undefined;
    return expr ? [{ where: `${file} variable $${v.name}`, expr }] : [];
  });
  return [...targets, ...variables];
}

/** Pure: every expression of a rule file. */
export function ruleQueries(file: string, rules: RuleFile): Query[] {
  return rules.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `${file} ${g.name}/${r.alert ?? r.record}`, expr: r.expr })),
  );
}

/**
 * Pure: the problems with `queries` against scraped series (sample name → label names): metrics
 * nobody exposes, and labels a selector matches or an aggregation groups by that no such series has.
 */
export function contractProblems(
  queries: Query[],
  scraped: Map<string, Set<string>>,
  recorded = new Set<string>(),
): string[] {
  const problems: string[] = [];
  for (const { where, expr } of queries) {
    const refs = promqlReferences(expr);
    const known = (label: string, metric?: string) =>
      TARGET_LABELS.has(label) || label === '__name__' || (metric ? (scraped.get(metric)?.has(label) ?? false) : false);
    for (const s of refs.selectors) {
      if (s.metric && !scraped.has(s.metric) && !recorded.has(s.metric))
        problems.push(`${where}: no service exposes ${s.metric}`);
      else
        for (const l of s.labels)
          if (!known(l, s.metric) && !recorded.has(s.metric ?? ''))
            problems.push(`${where}: ${s.metric} has no label ${l}`);
    }
    const metrics = metricNames(expr);
    for (const l of refs.grouping) {
      if (!known(l) && !metrics.some((m) => known(l, m) || recorded.has(m)))
        problems.push(`${where}: groups by ${l}, which none of ${metrics.join(', ')} has`);
    }
  }
  return problems;
}
