// Keeps Tab and Shift+Tab inside the open chat dialog. The dialog lives in a shadow root,
// so the focused element is the root's activeElement, not document.activeElement.

const FOCUSABLE = [
  'a[href]',
  'button:not([disabled])',
  'input:not([disabled]):not([type="hidden"])',
  'select:not([disabled])',
  'textarea:not([disabled])',
  '[tabindex]:not([tabindex="-1"])',
].join(',');

/** The elements Tab can reach inside `container`, in document order (hidden ones left out). */
export function focusableIn(container: HTMLElement): HTMLElement[] {
  return [...container.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
    (el) => el.tabIndex >= 0 && !el.closest('[hidden], [inert]') && el.getClientRects().length > 0,
  );
}

/**
 * Handles a Tab keydown inside `container`: wraps from the last focusable element to the
 * first (and back with Shift), and pulls focus back in when it has escaped. Returns whether
 * it moved focus itself (the event's default is then prevented).
 */
export function trapTab(event: KeyboardEvent, container: HTMLElement, active: Element | null): boolean {
  if (event.key !== 'Tab') return false;
  const items = focusableIn(container);
  const first = items[0];
  const last = items.at(-1);
  if (first === undefined || last === undefined) {
    event.preventDefault();
    return true;
  }
  const inside = active !== null && container.contains(active);
  let target: HTMLElement | undefined;
  if (!inside) target = event.shiftKey ? last : first;
  else if (event.shiftKey && active === first) target = last;
  else if (!event.shiftKey && active === last) target = first;
  if (target === undefined) return false;
  event.preventDefault();
  target.focus();
  return true;
}
