// Builders for Grafana's classic dashboard JSON model, just the parts these dashboards use.
// https://grafana.com/docs/grafana/latest/visualizations/dashboards/build-dashboards/view-dashboard-json-model/

/** Grafana's newest dashboard schema version known here; newer Grafanas migrate it on load. */
export const SCHEMA_VERSION = 42;
export const TAG = 'instant-logs';
/** Every panel and query reads the data source the user picked in the `datasource` variable. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  legend?: string;
}

export interface PanelOptions {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** Grid width out of 24; the row wraps when full. */
  w?: number;
  h?: number;
  /** Stat panels: the values at which the colour turns, from green. */
  thresholds?: { value: number; color: string }[];
  max?: number;
}

export type Panel = Record<string, unknown> & { type: string; title: string };

const targets = (queries: Query[]) =>
  queries.map((q, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DATASOURCE,
    editorMode: 'code',
    expr: q.expr,
    legendFormat: q.legend ?? '__auto',
    range: true,
  }));

const size = (o: PanelOptions, w: number, h: number) => ({ gridPos: { h: o.h ?? h, w: o.w ?? w, x: 0, y: 0 } });

/** A time series panel. Pure. */
export function timeseries(o: PanelOptions): Panel {
  return {
    type: 'timeseries',
    title: o.title,
    description: o.description,
    datasource: DATASOURCE,
    ...size(o, 8, 8),
    fieldConfig: {
      defaults: {
        unit: o.unit,
        min: 0,
        ...(o.max !== undefined ? { max: o.max } : {}),
        color: { mode: 'palette-classic' },
        custom: {
          drawStyle: 'line',
          lineInterpolation: 'linear',
          lineWidth: 1,
          fillOpacity: 10,
          showPoints: 'never',
          spanNulls: false,
          stacking: { mode: 'none', group: 'A' },
        },
      },
      overrides: [],
    },
    options: {
      legend: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
    targets: targets(o.queries),
  };
}

/** A single-value panel with a sparkline. Pure. */
export function stat(o: PanelOptions): Panel {
  return {
    type: 'stat',
    title: o.title,
    description: o.description,
    datasource: DATASOURCE,
    ...size(o, 4, 4),
    fieldConfig: {
      defaults: {
        unit: o.unit,
        color: { mode: 'thresholds' },
        thresholds: { mode: 'absolute', steps: [{ color: 'green', value: null }, ...(o.thresholds ?? [])] },
      },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
      colorMode: 'value',
      graphMode: 'area',
      justifyMode: 'auto',
      orientation: 'auto',
      textMode: 'auto',
      showPercentChange: false,
      wideLayout: true,
    },
    targets: targets(o.queries),
  };
}

/** The data source picker every query refers to. Pure. */
export function datasourceVariable() {
  return {
    name: 'datasource',
    label: 'Data source',
    type: 'datasource',
    query: 'prometheus',
    current: {},
    hide: 0,
    includeAll: false,
    multi: false,
    options: [],
    refresh: 1,
    regex: '',
    skipUrlSync: false,
  };
}

/** A variable filled from `label_values(...)`, with "All" (matching any value, or none) as default. Pure. */
export function labelVariable(name: string, label: string, query: string, regex = '') {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    definition: query,
    // The classic string form: every Grafana version parses it into its variable editor.
    query,
    current: { selected: true, text: 'All', value: '$__all' },
    hide: 0,
    includeAll: true,
    allValue: '.*',
    multi: false,
    options: [],
    refresh: 2,
    regex,
    skipUrlSync: false,
    sort: 1,
  };
}

export interface DashboardOptions {
  uid: string;
  title: string;
  description: string;
  variables: Record<string, unknown>[];
  rows: { title: string; panels: Panel[] }[];
}

/** A whole dashboard: rows laid out top to bottom, panels left to right, ids in order. Pure. */
export function dashboard(o: DashboardOptions) {
  const panels: Panel[] = [];
  let y = 0;
  for (const row of o.rows) {
    panels.push({ type: 'row', title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    let x = 0;
    let rowHeight = 0;
    for (const p of row.panels) {
      const pos = p.gridPos as { h: number; w: number; x: number; y: number };
      if (x + pos.w > 24) [x, y, rowHeight] = [0, y + rowHeight, 0];
      panels.push({ ...p, gridPos: { ...pos, x, y } });
      x += pos.w;
      rowHeight = Math.max(rowHeight, pos.h);
    }
    y += rowHeight;
  }
  return {
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          name: 'Annotations & Alerts',
          type: 'dashboard',
        },
      ],
    },
    description: o.description,
    editable: true,
    fiscalYearStartMonth: 0,
    graphTooltip: 1,
    id: null,
    links: [
      {
        title: 'Instant Logs',
        type: 'dashboards',
        tags: [TAG],
        asDropdown: false,
        includeVars: true,
        keepTime: true,
        icon: 'external link',
        targetBlank: false,
        tooltip: '',
        url: '',
      },
    ],
    panels: panels.map((p, i) => ({ id: i + 1, ...p })),
    refresh: '30s',
    schemaVersion: SCHEMA_VERSION,
    tags: [TAG],
    templating: { list: o.variables },
    time: { from: 'now-1h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    title: o.title,
    uid: o.uid,
    version: 1,
    weekStart: '',
  };
}
