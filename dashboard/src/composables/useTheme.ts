import { computed, ref, watchEffect } from 'vue';
import { PALETTES, type ThemeName } from '../lib/palette.ts';

const STORAGE_KEY = 'instant-logs.theme';

/** Light or dark: the system's preference until the user picks one, which is remembered. */
export function useTheme() {
  const stored = localStorage.getItem(STORAGE_KEY);
  const system: ThemeName = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  const theme = ref<ThemeName>(stored === 'dark' || stored === 'light' ? stored : system);
  watchEffect(() => (document.documentElement.dataset.theme = theme.value));
  function toggle(): void {
    theme.value = theme.value === 'dark' ? 'light' : 'dark';
    localStorage.setItem(STORAGE_KEY, theme.value);
  }
  return { theme, palette: computed(() => PALETTES[theme.value]), toggle };
}
