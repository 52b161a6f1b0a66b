import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Histogram } from '@instant-logs/schema';
import { histogramOption, histogramTotal, legendLayout, levelSeries } from './histogram-option.ts';
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
  histogramOption({ histogram, range, levels, palette: PALETTES.dark, width: 1100 }) as Record<string, any>;

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
  const light = histogramOption({ histogram, range, levels: [], palette: PALETTES.light, width: 1100 }) as Record<
    string,
    any
  >;
  assert.equal(light.yAxis.axisLabel.color, PALETTES.light.muted);
  assert.notEqual(light.yAxis.axisLabel.color, option().yAxis.axisLabel.color);
});

test('on a wide chart the legend takes one row and the plot starts just below it', () => {
  const o = option();
  assert.equal(legendLayout(1100).rows, 1);
  assert.ok(o.grid.top >= legendLayout(1100).height + 6);
  assert.ok(o.grid.top <= 40, `grid starts at ${o.grid.top}`);
});

test('on a phone-width chart the legend wraps within the width and the plot starts below its last row', () => {
  for (const width of [140, 240, 328, 360, 390]) {
    const o = histogramOption({ histogram, range, levels: [], palette: PALETTES.light, width }) as Record<string, any>;
    const layout = legendLayout(width);
    assert.ok(o.legend.right + o.legend.width + 2 * o.legend.padding <= width || width < 100, `${width}: too wide`);
    // Every row, packed with the widest estimate per glyph, fits the legend's width.
    assert.ok(layout.rows >= 1);
    const legendBottom = o.legend.top + layout.height;
    // The top y-axis label is centred on grid.top, about 6 px above it.
    assert.ok(o.grid.top - 6 >= legendBottom, `${width}: legend ends at ${legendBottom}, plot at ${o.grid.top}`);
    assert.ok(o.xAxis.splitNumber <= 3, `${width}: ${o.xAxis.splitNumber} ticks`);
  }
  assert.ok(legendLayout(140).rows > legendLayout(390).rows);
});

test('the time axis reads in UTC when the results do', () => {
  assert.equal(option().useUTC, false);
  const utc = histogramOption({ histogram, range, levels: [], palette: PALETTES.light, width: 800, utc: true });
  assert.equal((utc as Record<string, unknown>).useUTC, true);
});
