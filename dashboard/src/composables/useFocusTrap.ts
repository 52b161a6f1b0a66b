import { nextTick, watch, type Ref } from 'vue';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, [tabindex]:not([tabindex="-1"])';

/**
 * While `active`, Tab and Shift+Tab cycle inside `container`, the first control takes the focus,
 * and the element focused before gets it back afterwards.
 */
export function useFocusTrap(container: Ref<HTMLElement | null>, active: Ref<boolean>): void {
  let before: HTMLElement | null = null;
  const focusables = () =>
    [...(container.value?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])].filter((el) => el.offsetParent !== null);

  function onKey(event: KeyboardEvent): void {
    if (event.key !== 'Tab') return;
    const all = focusables();
    if (all.length === 0) return event.preventDefault();
    const first = all[0]!;
    const last = all.at(-1)!;
    const inside = container.value?.contains(document.activeElement);
    if (event.shiftKey && (document.activeElement === first || !inside)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (document.activeElement === last || !inside)) {
      event.preventDefault();
      first.focus();
    }
  }

  watch(active, async (on) => {
    if (on) {
      before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      document.addEventListener('keydown', onKey, true);
      await nextTick();
      focusables()[0]?.focus();
    } else {
      document.removeEventListener('keydown', onKey, true);
      before?.focus();
      before = null;
    }
  });
}
