// Issue 6: "no layout shift while streaming". The standalone page in Debian's Chromium against
// the real stack streams a markdown reply (paragraphs, a heading, a list, a code block) and a
// buffered PerformanceObserver adds up the page's layout-shift entries, on a wide and on a
// 320 px viewport. How fast text paints is a benchmark (`node bench/run.mjs web`), not a test.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from './stack.js';
import { openPage, startBrowserStack, until } from './web-support.js';

// Several blocks that appear one after another while the reply streams. llm-sim's
// [[sim:reply=...]] takes any text without "]".
const REPLY = [
  '## Packing for the ridge loop',
  '',
  'The ridge loop is a long day out. Start early, carry more water than you think you need, and check the forecast the evening before you go.',
  '',
  'Here is what goes in the pack:',
  '',
  '- two litres of water and a filter',
  '- a warm layer, even in summer',
  '- a map, a compass and a charged phone',
  '- snacks that survive being squashed',
  '',
  'The trail splits twice. At the first fork keep left, along the stream; at the second, climb to the saddle and follow the cairns along the crest.',
  '',
  '```python',
  'def walking_hours(distance_km, climb_m):',
  '    # Naismith: 5 km an hour, plus an hour for every 600 m of climb',
  '    return distance_km / 5 + climb_m / 600',
  '',
  'print(f"{walking_hours(18, 1100):.1f} hours")',
  '```',
  '',
  'Add your breaks on top of that estimate. If the weather turns, the saddle is the last easy place to head back down.',
].join('\n');
// 700 ms to the first token: streaming starts after the 500 ms following the Enter key in which
// Chromium marks shifts `hadRecentInput` (and leaves them out of its score).
const MESSAGE = `How do I prepare for the ridge loop? [[sim:ttft_ms=700]] [[sim:tokens_per_second=30]] [[sim:reply=${REPLY}]]`;

interface Shift {
  startTime: number;
  value: number;
  hadRecentInput: boolean;
  sources: { node: string; inLog: boolean; from: string; to: string }[];
}

interface LayoutRecord {
  shifts: Shift[];
  keyAt: number | null;
  firstTextAt: number | null;
  /** When the last reply left `streaming` (the attribute change in the DOM). */
  doneAt: number | null;
  /** Block elements the reply showed while still streaming. */
  blocksWhileStreaming: string[];
  renders: number;
}

/** Records layout shifts and the reply's life in the page, before any of its scripts run. */
function recordLayout(): void {
  const record: LayoutRecord = { shifts: [], keyAt: null, firstTextAt: null, doneAt: null, blocksWhileStreaming: [], renders: 0 };
  Object.defineProperty(window, '__parleyLayout', { value: record });
  const log = () => document.querySelector('[role="log"]');
  const name = (node: Node | null): string => {
    if (!(node instanceof Element)) return node ? `${node.nodeName} in ${name(node.parentElement)}` : '(removed)';
    const parts: string[] = [];
    for (let el: Element | null = node; el && parts.length < 4; el = el.parentElement) {
      parts.unshift(`${el.localName}${[...el.classList].slice(0, 2).map((c) => `.${c}`).join('')}`);
    }
    return parts.join(' > ');
  };
  const rect = (r: DOMRectReadOnly) => `${Math.round(r.x)},${Math.round(r.y)} ${Math.round(r.width)}x${Math.round(r.height)}`;
  // LayoutShift is not in TypeScript's DOM library.
  type LayoutShift = PerformanceEntry & { value: number; hadRecentInput: boolean; sources: { node: Node | null; previousRect: DOMRectReadOnly; currentRect: DOMRectReadOnly }[] };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as LayoutShift[]) {
      record.shifts.push({
        startTime: entry.startTime,
        value: entry.value,
        hadRecentInput: entry.hadRecentInput,
        sources: entry.sources.map((s) => ({ node: name(s.node), inLog: s.node !== null && log()?.contains(s.node) === true, from: rect(s.previousRect), to: rect(s.currentRect) })),
      });
    }
  }).observe({ type: 'layout-shift', buffered: true });
  document.addEventListener('keydown', () => (record.keyAt = performance.now()), true);
  new MutationObserver(() => {
    const replies = document.querySelectorAll('article.message[data-role="assistant"]');
    const reply = replies[replies.length - 1];
    if (!reply) return;
    if (reply.getAttribute('data-state') === 'streaming') {
      const content = reply.querySelector('.message-content-markdown');
      if (content === null) return;
      record.renders++;
      record.firstTextAt ??= performance.now();
      for (const el of content.querySelectorAll('h2, p, ul, li, pre')) if (!record.blocksWhileStreaming.includes(el.localName)) record.blocksWhileStreaming.push(el.localName);
    } else if (record.firstTextAt !== null) {
      record.doneAt ??= performance.now();
    }
  }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-state'] });
}

const layout = (page: Page) => page.evaluate(() => (window as unknown as { __parleyLayout: LayoutRecord }).__parleyLayout);
const counted = (shifts: Shift[]) => shifts.filter((s) => !s.hadRecentInput);
const sum = (shifts: Shift[]) => shifts.reduce((total, s) => total + s.value, 0);
const describeShifts = (shifts: Shift[]) =>
  shifts.map((s) => `${s.value.toFixed(5)} at ${s.startTime.toFixed(0)} ms: ${s.sources.map((x) => `${x.node} ${x.from} -> ${x.to}`).join('; ')}`).join('\n') || '(none)';

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  ({ stack, browser } = await startBrowserStack());
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('layout while a reply streams, in a real browser', () => {
  for (const viewport of [
    { width: 1100, height: 800 },
    { width: 320, height: 640 },
  ]) {
    it(`moves nothing on the page while a markdown reply streams in, at ${viewport.width}x${viewport.height}`, async () => {
      const { context, page, problems } = await openPage(browser, { viewport, reducedMotion: 'no-preference' });
      await page.addInitScript(recordLayout);
      await page.goto(stack.gateway.url);
      const input = page.getByRole('textbox', { name: 'Message' });
      await until(() => input.isEnabled(), Boolean, 'the composer');
      await input.fill(MESSAGE);
      await input.press('Enter');

      const reply = page.locator('article.message[data-role="assistant"]').last();
      await reply.waitFor();
      await until(() => reply.getAttribute('data-state'), (s) => s !== 'streaming', 'the reply to finish', 20_000);
      expect(await reply.getAttribute('data-state')).toBe('complete');
      // Two frames after the end, so the last render's shifts (if any) are reported too.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const seen = await layout(page);

      // The reply really streamed, block by block, after the input window closed.
      expect(seen.keyAt).not.toBeNull();
      expect(seen.firstTextAt! - seen.keyAt!, 'first text after the 500 ms input window').toBeGreaterThan(500);
      expect(seen.renders, 'renders while streaming').toBeGreaterThanOrEqual(10);
      expect(seen.blocksWhileStreaming).toEqual(expect.arrayContaining(['h2', 'p', 'ul', 'li', 'pre']));
      const content = reply.locator('.message-content-markdown');
      expect(await content.locator('li').count()).toBe(4);
      expect(await content.locator('pre code').textContent()).toContain('def walking_hours');

      // While it streams (from Enter to the reply leaving `streaming`): nothing moves anywhere.
      const during = counted(seen.shifts).filter((s) => s.startTime >= seen.keyAt! && s.startTime <= seen.doneAt!);
      expect(sum(during), `layout shifts while streaming:\n${describeShifts(during)}`).toBe(0);
      // Its last render (the closed code block highlighted) moves nothing in the transcript either.
      const transcript = counted(seen.shifts).filter((s) => s.startTime >= seen.keyAt! && s.sources.some((x) => x.inLog));
      expect(sum(transcript), `layout shifts in the transcript:\n${describeShifts(transcript)}`).toBe(0);
      // Nor does the end of the reply move the composer (the Stop button keeps its place, hidden).
      const end = counted(seen.shifts).filter((s) => s.startTime > seen.doneAt!);
      expect(sum(end), `layout shifts as the reply ended:\n${describeShifts(end)}`).toBe(0);

      // The observer is live: a block inserted above the transcript (no input) shifts it.
      const before = seen.shifts.length;
      await page.evaluate(() => {
        const block = document.createElement('div');
        block.style.height = '40px';
        document.querySelector('[role="log"]')?.before(block);
      });
      const control = await until(() => layout(page), (l) => l.shifts.length > before, 'the control shift to be reported', 5_000);
      expect(sum(counted(control.shifts.slice(before)))).toBeGreaterThan(0);
      expect(problems.errors).toEqual([]);
      await context.close();
    });
  }
});
