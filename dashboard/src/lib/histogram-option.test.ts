import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Histogram } from '@instant-logs/schema';
import { histogramOption, histogramTotal, levelSeries } from './histogram-option.ts';
import { PALETTES } from './palette.ts';

const histogram: Histogram = {
  interval_ms: 60_000,
  buckets: [
    { time: '2026-11-23T10:00:00.000Z', counts: { info: 3, error: 1 } },
    { time: '2026-11-23T10:01:00.000Z', counts: { info: 2, warn: 4 } },
  ],
};
const range = { fromMs: Date.parse('2026-11-23T10:00:00Z'), toMs: Date.parse('2026-11-23T10:02:00Z') };
const option = (levels: Parameters<typeof histogramOption>[0]['levels'] = []) =>
  histogramOption({ histogram, range, levels, palette: PALETTES.dark }) as Record<string, any>;

test('each level becomes a series of counts at the middle of each bucket, missing levels as 0', () => {
  const series = levelSeries(histogram);
  const t0 = Date.parse('2026-11-23T10:00:30Z');
  assert.deepEqual(series.info, [
    [t0, 3],
    [t0 + 60_000, 2],
  ]);
  assert.deepEqual(series.warn, [
    [t0, 0],
    [t0 + 60_000, 4],
  ]);
  assert.equal(histogramTotal(histogram), 10);
});

test('the bars are stacked in severity order, coloured by level from the palette', () => {
  const series = option().series as { name: string; stack: string; type: string; itemStyle: { color: string } }[];
  assert.deepEqual(
    series.map((s) => s.name),
    ['trace', 'debug', 'info', 'warn', 'error', 'fatal'],
  );
  assert.ok(series.every((s) => s.type === 'bar' && s.stack === 'volume'));
  assert.equal(series[4]!.itemStyle.color, PALETTES.dark.levels.error);
});

test('the x axis spans exactly the selected range, and the brush selects along it only', () => {
  const o = option();
  assert.equal(o.xAxis.type, 'time');
  assert.equal(o.xAxis.min, range.fromMs);
  assert.equal(o.xAxis.max, range.toMs);
  assert.equal(o.brush.brushType, 'lineX');
  assert.equal(o.brush.xAxisIndex, 0);
});

test('the legend shows every level selected with no filter, and only the filtered levels otherwise', () => {
  assert.ok(Object.values(option().legend.selected).every(Boolean));
  assert.deepEqual(option(['warn', 'error']).legend.selected, {
    trace: false,
    debug: false,
    info: false,
    warn: true,
    error: true,
    fatal: false,
  });
});

test('light and dark options differ only in colours', () => {
  const light = histogramOption({ histogram, range, levels: [], palette: PALETTES.light }) as Record<string, any>;
  assert.equal(light.yAxis.axisLabel.color, PALETTES.light.muted);
  assert.notEqual(light.yAxis.axisLabel.color, option().yAxis.axisLabel.color);
});
