import { onScopeDispose } from 'vue';

const typing = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName));

// A modal (the facet drawer) owns the keyboard while it is open.
const inModal = (target: EventTarget | null) => target instanceof Element && !!target.closest('[aria-modal="true"]');

/**
 * Single-key shortcuts (`j`, `Enter`, `Escape`…) on the whole page, never while a text field or a
 * modal has the focus, nor with a modifier held. A handler returning false leaves the key alone.
 */
export function useHotkeys(handlers: Record<string, (event: KeyboardEvent) => boolean | void>): void {
  const onKey = (event: KeyboardEvent) => {
    const handler = handlers[event.key];
    if (!handler || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target) || inModal(event.target)) return;
    if (handler(event) !== false) event.preventDefault();
  };
  window.addEventListener('keydown', onKey);
  onScopeDispose(() => window.removeEventListener('keydown', onKey));
}

/** `/` focuses the search box from anywhere but another text field. */
export function useSlashToSearch(focus: () => void): void {
  useHotkeys({ '/': () => focus() });
}
