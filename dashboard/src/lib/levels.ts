import { LEVELS, type Level } from '@instant-logs/schema';

/** Pure: the levels shown for a filter (an empty filter shows all). */
export function shownLevels(filter: readonly Level[]): Level[] {
  return filter.length === 0 ? [...LEVELS] : LEVELS.filter((l) => filter.includes(l));
}

/**
 * Pure: the filter after showing or hiding `level`. Showing every level, or hiding the last one,
 * clears the filter, so the result is never a filter that matches nothing.
 */
export function toggleLevel(filter: readonly Level[], level: Level): Level[] {
  const shown = shownLevels(filter);
  const next = shown.includes(level)
    ? shown.filter((l) => l !== level)
    : LEVELS.filter((l) => l === level || shown.includes(l));
  return next.length === 0 || next.length === LEVELS.length ? [] : next;
}
