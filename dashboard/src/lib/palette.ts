import type { Level } from '@instant-logs/schema';

export type ThemeName = 'light' | 'dark';

/** The colours the chart needs; the page itself takes the same values from CSS variables. */
export interface Palette {
  text: string;
  muted: string;
  grid: string;
  tooltipBackground: string;
  brush: string;
  levels: Record<Level, string>;
}

export const PALETTES: Readonly<Record<ThemeName, Palette>> = Object.freeze({
  light: {
    text: '#1f2328',
    muted: '#656d76',
    grid: '#e4e7eb',
    tooltipBackground: '#ffffff',
    brush: 'rgba(9, 105, 218, 0.15)',
    levels: {
      trace: '#a0a7b0',
      debug: '#6e7781',
      info: '#0969da',
      warn: '#bf8700',
      error: '#cf222e',
      fatal: '#8250df',
    },
  },
  dark: {
    text: '#e6edf3',
    muted: '#8b949e',
    grid: '#262c36',
    tooltipBackground: '#161b22',
    brush: 'rgba(88, 166, 255, 0.2)',
    levels: {
      trace: '#6e7681',
      debug: '#8b949e',
      info: '#58a6ff',
      warn: '#d29922',
      error: '#f85149',
      fatal: '#db61a2',
    },
  },
});
