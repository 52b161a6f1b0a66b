import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS_DIR, renderDashboards } from './dashboards/render.ts';

// Writes the Grafana dashboards into the chart; with --check, fails when the committed ones differ.
const check = process.argv.includes('--check');
const rendered = renderDashboards();
const committed = (file: string) =>
  existsSync(join(DASHBOARDS_DIR, file)) ? readFileSync(join(DASHBOARDS_DIR, file), 'utf8') : undefined;
const outdated = [...rendered].filter(([file, text]) => committed(file) !== text).map(([file]) => file);
const extra = readdirSync(DASHBOARDS_DIR).filter((file) => file.endsWith('.json') && !rendered.has(file));
if (check) {
  if (outdated.length + extra.length > 0) {
    console.error(
      `Dashboards out of date: ${[...outdated, ...extra].join(', ')}. Run: node observability/generate-dashboards.ts`,
    );
    process.exitCode = 1;
  }
} else {
  for (const [file, text] of rendered) writeFileSync(join(DASHBOARDS_DIR, file), text);
  console.log(`Wrote ${[...rendered.keys()].join(', ')} to ${DASHBOARDS_DIR}`);
  if (extra.length > 0) console.log(`Not generated here, remove if obsolete: ${extra.join(', ')}`);
}
