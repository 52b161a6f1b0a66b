import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { CHART_FILES, dashboardQueries, panelsOf, readDashboards } from './contract.ts';
import { DASHBOARDS_DIR, renderDashboards } from './dashboards/render.ts';
import { SCHEMA_VERSION } from './dashboards/grafana.ts';
import { findPromtool } from './promtool.ts';

const dashboards = readDashboards();
const BUILT_IN = new Set(['__rate_interval', '__interval', '__range']);

let promtool: ReturnType<typeof findPromtool>;
before(() => {
  promtool = findPromtool();
});

test('the committed dashboards are what observability/dashboards generates', () => {
  const rendered = renderDashboards();
  assert.deepEqual([...dashboards.keys()], [...rendered.keys()].sort(), `files in ${DASHBOARDS_DIR}`);
  for (const [file, text] of rendered) {
    assert.equal(
      readFileSync(join(CHART_FILES, 'dashboards', file), 'utf8'),
      text,
      `${file} is stale: run node observability/generate-dashboards.ts`,
    );
  }
});

for (const [file, d] of dashboards) {
  test(`${file} has a uid, a title, the current schema version and a Prometheus data source variable`, () => {
    assert.match(d.uid, /^[a-zA-Z0-9_-]{1,40}$/);
    assert.ok(d.title);
    assert.equal(d.schemaVersion, SCHEMA_VERSION);
    const ds = d.templating.list.find((v) => v.name === 'datasource');
    assert.deepEqual([ds?.type, ds?.query], ['datasource', 'prometheus']);
  });

  test(`${file}: every panel has a unique id, a grid position inside 24 columns, and queries on \${datasource}`, () => {
    const all = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    const ids = all.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'duplicate panel ids');
    all.forEach((p, i) => {
      const g = p.gridPos;
      assert.ok(
        [g.x, g.y, g.w, g.h].every(Number.isInteger) && g.w > 0 && g.h > 0 && g.x >= 0 && g.x + g.w <= 24,
        `panel ${p.id} gridPos`,
      );
      for (const q of all.slice(0, i)) {
        const overlap =
          g.x < q.gridPos.x + q.gridPos.w &&
          q.gridPos.x < g.x + g.w &&
          g.y < q.gridPos.y + q.gridPos.h &&
          q.gridPos.y < g.y + g.h;
        assert.ok(!overlap, `panels ${q.id} and ${p.id} overlap`);
      }
    });
    for (const p of panelsOf(d)) {
      assert.equal(p.datasource?.uid, '${datasource}', `panel ${p.id} datasource`);
      const targets = p.targets ?? [];
      assert.ok(targets.length > 0, `panel ${p.id} has no targets`);
      assert.equal(new Set(targets.map((t) => t.refId)).size, targets.length, `panel ${p.id} refIds`);
      for (const t of targets)
        assert.ok(t.expr.trim() && t.datasource?.uid === '${datasource}', `panel ${p.id} target ${t.refId}`);
    }
  });

  test(`${file}: queries use only variables the dashboard defines`, () => {
    const defined = new Set([...d.templating.list.map((v) => v.name), ...BUILT_IN]);
    for (const q of dashboardQueries(file, d)) {
      for (const m of q.expr.matchAll(/\$\{?(\w+)/g))
        if (!/^\d+$/.test(m[1]!)) assert.ok(defined.has(m[1]!), `${q.where}: $${m[1]} is not defined`);
    }
  });
}

test('promtool parses every dashboard query, once Grafana has substituted its variables', () => {
  const queries = [...dashboards].flatMap(([file, d]) => dashboardQueries(file, d));
  const substitute = (expr: string) =>
    expr
      .replace(/\$\{?(__rate_interval|__interval)\}?/g, '5m')
      .replace(/\$\{?__range\}?/g, '1h')
      .replace(/\$\{?(?!\d)(\w+)(:\w+)?\}?/g, '.*');
  const rules = {
    groups: [
      {
        name: 'dashboards',
        rules: queries.map((q, i) => ({ record: `dashboard_query_${i}`, expr: substitute(q.expr) })),
      },
    ],
  };
  const dir = mkdtempSync(join(tmpdir(), 'idl-dashboards-'));
  try {
    writeFileSync(join(dir, 'queries.yaml'), dump(rules));
    const r = promtool.run(['check', 'rules', join(dir, 'queries.yaml')]);
    assert.equal(r.status, 0, `${r.output}\n${queries.map((q, i) => `dashboard_query_${i}: ${q.where}`).join('\n')}`);
    assert.match(r.output, new RegExp(`SUCCESS: ${queries.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
