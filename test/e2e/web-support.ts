// Shared by the browser tests (browser.test.ts, web-*.test.ts): Debian's Chromium, axe-core
// scans, screenshots, and small page probes. No test lives here.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Locator, type Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { startStack, type Stack } from './stack.js';

export { CHROMIUM, launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const SCREENSHOTS = `${root}/test-artifacts/screenshots`;
export const README_SCREENSHOT = `${root}/docs/screenshot.png`;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/**
 * The real stack and Chromium, started side by side. With a `canary`, chat-service and
 * safety-service share that system-prompt canary: a reply containing it is blocked on output
 * (and only on output: a user may type it), which is how a test gets a withheld reply.
 */
export async function startBrowserStack(canary?: string): Promise<{ stack: Stack; browser: Browser }> {
  const env = canary ? { 'chat-service': { PROMPT_CANARY: canary }, 'safety-service': { PROMPT_CANARY: canary } } : {};
  const [stack, browser] = await Promise.all([startStack(env), launchChromium()]);
  return { stack, browser };
}

/** Types `text` into the composer named `name` and sends it with Enter. */
export async function send(page: Page, text: string, name = 'Message'): Promise<void> {
  const input = page.getByRole('textbox', { name });
  await input.fill(text);
  await input.press('Enter');
}

/** Waits for the last of `replies` (assistant messages) to leave `streaming`, and returns its state. */
export async function settled(replies: Locator): Promise<string | null> {
  const last = replies.last();
  await last.waitFor();
  return until(() => last.getAttribute('data-state'), (s) => s !== null && s !== 'streaming', 'the reply to finish');
}


/** What went wrong in the page: console errors, uncaught exceptions and CSP violations. */
export interface PageProblems {
  readonly errors: string[];
}

/** A fresh context (own storage, so its own Parley session) and one page in it, with its problems recorded. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, reducedMotion: 'reduce', ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: PageProblems = { errors: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') problems.errors.push(m.text());
  });
  page.on('pageerror', (e) => problems.errors.push(e.message));
  // A CSP violation is reported as an event in the page; surface it as a problem too.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));
  });
  return { context, page, problems };
}

/** Polls `read` until `accept` holds; fails with the last value seen. */
export async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function screenshot(page: Page, name: string, target?: Locator): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const path = `${SCREENSHOTS}/${name}.png`;
  if (target) await target.screenshot({ path });
  else await page.screenshot({ path });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core over the page (open shadow roots included, so the widget's too) and returns
 * the serious and critical violations. The page must allow the injected script: open it in
 * a context with `bypassCSP: true`, since the app's CSP rightly refuses inline scripts.
 */
export async function axeViolations(page: Page, include?: string): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async (selector) => {
    // @ts-expect-error axe is the global the injected axe.min.js defines
    const axe = window.axe as { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> };
    const result = await axe.run(selector === undefined ? document : { include: [[selector]] }, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) }));
  }, include);
}

export async function simStats(simUrl: string): Promise<{ cancellations: number; requests_total: number; streams_started: number }> {
  return (await (await fetch(`${simUrl}/_sim/stats`)).json()) as { cancellations: number; requests_total: number; streams_started: number };
}

/**
 * Records the text length of the last assistant message at every DOM change until it leaves
 * the `streaming` state: the lengths a reader saw paint. `scope` is the panel's root node
 * (document, or the widget's shadow root via its host selector).
 */
export async function watchStreaming(page: Page, hostSelector?: string): Promise<void> {
  await page.evaluate((host) => {
    const root: ParentNode = host ? (document.querySelector(host)?.shadowRoot ?? document) : document;
    const seen: number[] = [];
    (window as unknown as { __parleyLengths: number[] }).__parleyLengths = seen;
    const record = () => {
      const articles = root.querySelectorAll('article.message[data-role="assistant"]');
      const last = articles[articles.length - 1];
      if (last?.getAttribute('data-state') !== 'streaming') return;
      const length = last.querySelector('.message-content')?.textContent?.length ?? 0;
      if (seen.at(-1) !== length) seen.push(length);
    };
    new MutationObserver(record).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
  }, hostSelector);
}

export function streamedLengths(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __parleyLengths: number[] }).__parleyLengths ?? []);
}
