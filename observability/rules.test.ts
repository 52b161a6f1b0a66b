import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { CHART_FILES, readRuleFiles } from './contract.ts';
import { findPromtool } from './promtool.ts';

const RULES = join(CHART_FILES, 'rules');
const UNIT_TESTS = fileURLToPath(new URL('./rules/', import.meta.url));
const RUNBOOKS = readFileSync(fileURLToPath(new URL('./runbooks.md', import.meta.url)), 'utf8');

let promtool: ReturnType<typeof findPromtool>;
before(() => {
  promtool = findPromtool();
});

const ruleFiles = readRuleFiles();
const alerts = [...ruleFiles.values()].flatMap((f) => f.groups.flatMap((g) => g.rules)).filter((r) => r.alert);
const unitTestFiles = readdirSync(UNIT_TESTS)
  .filter((f) => f.endsWith('.test.yaml'))
  .sort();

test('promtool check rules accepts every rule file', () => {
  const files = [...ruleFiles.keys()].map((f) => join(RULES, f));
  assert.ok(files.length >= 2, 'expected the pipeline and operator rule files');
  const r = promtool.run(['check', 'rules', ...files]);
  assert.equal(r.status, 0, r.output);
});

test('promtool test rules passes every unit test file', () => {
  assert.ok(unitTestFiles.length >= 2);
  // Rule paths in the test files are relative to the test file's directory, as promtool resolves them.
  const r = promtool.run(['test', 'rules', ...unitTestFiles.map((f) => join(UNIT_TESTS, f))]);
  assert.equal(r.status, 0, r.output);
  assert.equal(r.output.match(/SUCCESS/g)?.length, unitTestFiles.length, r.output);
});

test('every alert has unit tests that see it fire and see it stay silent', () => {
  type UnitTests = {
    rule_files: string[];
    tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
  };
  const cases = unitTestFiles.flatMap((f) =>
    (load(readFileSync(join(UNIT_TESTS, f), 'utf8')) as UnitTests).tests.flatMap((t) => t.alert_rule_test ?? []),
  );
  for (const { alert } of alerts) {
    assert.ok(
      cases.some((c) => c.alertname === alert && (c.exp_alerts?.length ?? 0) > 0),
      `no unit test expects ${alert} to fire`,
    );
    assert.ok(
      cases.some((c) => c.alertname === alert && (c.exp_alerts?.length ?? 0) === 0),
      `no unit test expects ${alert} to stay silent`,
    );
  }
  const tested = new Set(cases.map((c) => c.alertname));
  assert.deepEqual(
    [...tested].filter((a) => !alerts.some((r) => r.alert === a)),
    [],
    'unit tests name alerts that do not exist',
  );
});

test('every alert has a severity, a summary, a description and a runbook section that exists', () => {
  assert.ok(alerts.length >= 6);
  const headings = new Set([...RUNBOOKS.matchAll(/^## (\S+)$/gm)].map((m) => m[1]!.toLowerCase()));
  for (const a of alerts) {
    assert.match(a.labels?.severity ?? '', /^(critical|warning|info)$/, `${a.alert}: severity`);
    assert.ok(a.annotations?.summary && a.annotations.description, `${a.alert}: summary and description`);
    const anchor = /^https:\/\/\S+\/observability\/runbooks\.md#(\S+)$/.exec(a.annotations.runbook_url ?? '')?.[1];
    assert.equal(anchor, a.alert!.toLowerCase(), `${a.alert}: runbook_url should end in #${a.alert!.toLowerCase()}`);
    assert.ok(headings.has(anchor), `${a.alert}: observability/runbooks.md has no "## ${a.alert}"`);
  }
});

test('rule files are plain rule groups with unique alert names, for the chart to wrap', () => {
  for (const [file, content] of ruleFiles) assert.deepEqual(Object.keys(content), ['groups'], file);
  const names = alerts.map((a) => a.alert);
  assert.equal(new Set(names).size, names.length);
});
