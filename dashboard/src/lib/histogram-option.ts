import type { EChartsOption } from 'echarts';
import { LEVELS, type Histogram, type Level } from '@instant-logs/schema';
import type { Palette } from './palette.ts';
import type { ResolvedRange } from './time-range.ts';

export interface HistogramView {
  histogram: Histogram;
  range: ResolvedRange;
  /** The level filter; empty means every level. */
  levels: readonly Level[];
  palette: Palette;
  /** The chart's width in pixels; the legend wraps to fit it, and the plot starts below it. */
  width: number;
  /** Axis times in UTC rather than the browser's time zone, as the results show them. */
  utc?: boolean;
}

const LEGEND = { fontSize: 11, icon: 10, iconGap: 5, itemGap: 10, padding: 5, right: 8 } as const;
// Wider than the real average glyph of an 11 px sans-serif, so an estimate never undercounts rows.
const CHAR_WIDTH = 7;
const LINE_HEIGHT = 14;
// Room above the plot for the top y-axis label, which is centred on the grid's top line.
const LABEL_CLEARANCE = 10;

/** Pure: how the level legend lays out in `width` pixels: its width, rows and height (padding included). */
export function legendLayout(width: number): { width: number; rows: number; height: number } {
  const available = Math.max(60, width - LEGEND.right - 2 * LEGEND.padding);
  let rows = 1;
  let x = 0;
  for (const level of LEVELS) {
    const item = LEGEND.icon + LEGEND.iconGap + level.length * CHAR_WIDTH;
    const start = x === 0 ? 0 : x + LEGEND.itemGap;
    if (x > 0 && start + item > available) {
      rows++;
      x = item;
    } else {
      x = start + item;
    }
  }
  return { width: available, rows, height: rows * LINE_HEIGHT + (rows - 1) * LEGEND.itemGap + 2 * LEGEND.padding };
}

/** Pure: one [bucket middle, count] series per level, so stacked bars fill their bucket. */
export function levelSeries(histogram: Histogram): Record<Level, [number, number][]> {
  const half = histogram.interval_ms / 2;
  const series = Object.fromEntries(LEVELS.map((l) => [l, [] as [number, number][]])) as Record<
    Level,
    [number, number][]
  >;
  for (const bucket of histogram.buckets) {
    const t = Date.parse(bucket.time) + half;
    for (const level of LEVELS) series[level].push([t, bucket.counts[level] ?? 0]);
  }
  return series;
}

/** Pure: the total count of a histogram, over every level. */
export function histogramTotal(histogram: Histogram): number {
  return histogram.buckets.reduce((sum, b) => sum + Object.values(b.counts).reduce((a, n) => a + n, 0), 0);
}

/**
 * Pure: the ECharts option for the volume chart: bars stacked by level on a time axis spanning
 * the range, a legend whose selection mirrors the level filter, and an x-only brush for zooming.
 */
export function histogramOption(view: HistogramView): EChartsOption {
  const { histogram, range, levels, palette } = view;
  const data = levelSeries(histogram);
  const axisLabel = { color: palette.muted, fontSize: 11 };
  const legend = legendLayout(view.width);
  return {
    animation: false,
    useUTC: view.utc ?? false,
    grid: { left: 44, right: 16, top: legend.height + LABEL_CLEARANCE, bottom: 24 },
    legend: {
      top: 0,
      right: LEGEND.right,
      width: legend.width,
      padding: LEGEND.padding,
      itemGap: LEGEND.itemGap,
      itemWidth: LEGEND.icon,
      itemHeight: LEGEND.icon,
      textStyle: { color: palette.text, fontSize: LEGEND.fontSize, lineHeight: LINE_HEIGHT },
      inactiveColor: palette.grid,
      data: [...LEVELS],
      selected: Object.fromEntries(LEVELS.map((l) => [l, levels.length === 0 || levels.includes(l)])),
    },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      backgroundColor: palette.tooltipBackground,
      borderColor: palette.grid,
      textStyle: { color: palette.text, fontSize: 12 },
    },
    brush: {
      toolbox: [],
      xAxisIndex: 0,
      brushType: 'lineX',
      brushMode: 'single',
      transformable: false,
      brushStyle: { color: palette.brush, borderColor: palette.levels.info, borderWidth: 1 },
    },
    xAxis: {
      type: 'time',
      min: range.fromMs,
      max: range.toMs,
      // Fewer ticks on a phone, where five timestamps do not fit side by side.
      splitNumber: view.width < 480 ? 3 : 5,
      axisLabel: { ...axisLabel, hideOverlap: true },
      axisLine: { lineStyle: { color: palette.grid } },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      minInterval: 1,
      axisLabel,
      splitLine: { lineStyle: { color: palette.grid } },
    },
    series: LEVELS.map((level) => ({
      name: level,
      type: 'bar' as const,
      stack: 'volume',
      barCategoryGap: '10%',
      itemStyle: { color: palette.levels[level] },
      emphasis: { disabled: true },
      data: data[level],
    })),
  };
}
