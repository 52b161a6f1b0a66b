import { computed, type Ref } from 'vue';
import type { TimeZoneMode } from '../lib/time-range.ts';

const STORAGE_KEY = 'instant-logs.time-zone';

/**
 * The time zone results are shown in: the link's choice if it makes one, else the viewer's own
 * last choice (remembered in this browser), else local time.
 */
export function useTimeZone(fromLink: Ref<TimeZoneMode | null>, setLink: (tz: TimeZoneMode) => void) {
  const stored = () => {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'utc' || v === 'local' ? v : null;
  };
  const zone = computed<TimeZoneMode>(() => fromLink.value ?? stored() ?? 'local');
  function toggle(): void {
    const next = zone.value === 'utc' ? 'local' : 'utc';
    localStorage.setItem(STORAGE_KEY, next);
    setLink(next);
  }
  return { zone, toggle };
}
