import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { focusableIn, trapTab } from './focus-trap';

// jsdom lays nothing out, so every element reports no boxes; pretend the visible ones have one.
beforeEach(() => {
  vi.spyOn(HTMLElement.prototype, 'getClientRects').mockImplementation(function (this: HTMLElement) {
    return (this.closest('[data-hidden]') ? [] : [{}]) as unknown as DOMRectList;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

function dialog(): HTMLElement {
  document.body.innerHTML = `
    <button id="outside">outside</button>
    <div id="dialog" tabindex="-1">
      <button id="first">first</button>
      <button disabled>disabled</button>
      <div data-hidden><button>not shown</button></div>
      <textarea id="middle"></textarea>
      <a id="last" href="#x">last</a>
    </div>`;
  return document.getElementById('dialog')!;
}

const tab = (shiftKey = false) => new KeyboardEvent('keydown', { key: 'Tab', shiftKey, cancelable: true });

describe('the dialog focus trap', () => {
  it('finds what Tab can reach, leaving out disabled and hidden controls and the dialog itself', () => {
    expect(focusableIn(dialog()).map((el) => el.id)).toEqual(['first', 'middle', 'last']);
  });

  it('wraps from the last control to the first, and back with Shift+Tab', () => {
    const box = dialog();
    const forward = tab();
    expect(trapTab(forward, box, document.getElementById('last'))).toBe(true);
    expect(forward.defaultPrevented).toBe(true);
    expect(document.activeElement?.id).toBe('first');

    const back = tab(true);
    expect(trapTab(back, box, document.getElementById('first'))).toBe(true);
    expect(document.activeElement?.id).toBe('last');
  });

  it('leaves Tab alone between controls inside the dialog', () => {
    const event = tab();
    expect(trapTab(event, dialog(), document.getElementById('first'))).toBe(false);
    expect(event.defaultPrevented).toBe(false);
  });

  it('pulls focus back in when it is outside the dialog', () => {
    const box = dialog();
    expect(trapTab(tab(), box, document.getElementById('outside'))).toBe(true);
    expect(document.activeElement?.id).toBe('first');
  });

  it('ignores other keys', () => {
    expect(trapTab(new KeyboardEvent('keydown', { key: 'Enter' }), dialog(), null)).toBe(false);
  });
});
