// The embeddable widget (<parley-chat>, dist/widget.js) on the demo host page the gateway
// serves at /demo/, in Debian's Chromium against the real stack. Playwright's locators pierce
// open shadow roots, so the panel's DOM contract is queried as on the standalone page.
// PARLEY_README_SCREENSHOT=1 also writes docs/screenshot.png (scripts/screenshot.mjs).
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@parley/testkit';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from './stack.js';
import { README_SCREENSHOT, axeViolations, openPage, screenshot, send, settled as settledReply, startBrowserStack, until } from './web-support.js';

const CANARY = 'pc-e2ewidgetcanary';
const WEB_DIST = fileURLToPath(new URL('../../web/dist', import.meta.url));

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  ({ stack, browser } = await startBrowserStack(CANARY));
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const launcher = (page: Page, name = 'Open chat') => page.getByRole('button', { name, exact: true });
const dialog = (page: Page) => page.getByRole('dialog');
const assistant = (page: Page) => page.locator('parley-chat article.message[data-role="assistant"]');

/** What has focus inside the widget's shadow root, described by tag, class and accessible label. */
function shadowFocus(page: Page): Promise<{ tag: string; className: string; label: string | null; inDialog: boolean } | null> {
  return page.evaluate(() => {
    const root = document.querySelector('parley-chat')?.shadowRoot;
    const el = root?.activeElement;
    if (!root || !el || document.activeElement !== root.host) return null;
    return { tag: el.tagName.toLowerCase(), className: el.className, label: el.getAttribute('aria-label'), inDialog: el.closest('[role="dialog"]') !== null };
  });
}

async function openDemo(options: Parameters<typeof openPage>[1] = {}) {
  const opened = await openPage(browser, options);
  await opened.page.goto(`${stack.gateway.url}/demo/`);
  await launcher(opened.page).waitFor();
  return opened;
}

async function openChat(page: Page, name = 'Open chat'): Promise<void> {
  await launcher(page, name).click();
  await dialog(page).waitFor();
  await until(() => shadowFocus(page), (f) => f?.tag === 'textarea', 'focus in the composer');
}

/** Every URL the page requests, in order (the page's own, the widget's chunks, API calls). */
function recordRequests(page: Page): URL[] {
  const seen: URL[] = [];
  page.on('request', (r) => seen.push(new URL(r.url())));
  return seen;
}

/** The widget's scripts among them: /widget.js and its chunks under /widget/. */
const widgetScripts = (requests: URL[]) => requests.filter((u) => u.pathname === '/widget.js' || u.pathname.startsWith('/widget/'));
const apiCalls = (requests: URL[]) => requests.filter((u) => u.pathname.startsWith('/api/'));

const PANEL_CHUNK = /^\/widget\/panel-[\w-]+\.js$/;
const HIGHLIGHT_CHUNK = /^\/widget\/highlight-[\w-]+\.js$/;

/** A message whose reply (llm-sim echoes it) is a fenced Python block, which highlight.js colours. */
const CODE_MESSAGE = 'Tidy this up:\n```python\ndef greet(name):\n    return f"Hello, {name}"\n```\n[[sim:echo]]';

/** Highlighted tokens in the last reply's code block (spans highlight.js adds). */
const highlightedTokens = (page: Page) => assistant(page).last().locator('pre code .hljs-keyword').count();

const settled = (page: Page) => settledReply(assistant(page));

describe('the widget embedded in the demo host page', () => {
  it('loads with one script tag, styles its shadow root, and takes the page’s theme overrides', async () => {
    const { context, page, problems } = await openDemo();
    expect(await page.evaluate(() => customElements.get('parley-chat') !== undefined)).toBe(true);
    expect(await launcher(page).getAttribute('aria-expanded')).toBe('false');
    // Nothing is asked of the server before the visitor opens the chat.
    expect(await dialog(page).count()).toBe(0);
    const look = await page.evaluate(() => {
      const button = document.querySelector('parley-chat')!.shadowRoot!.querySelector('.parley-launcher')!;
      const style = getComputedStyle(button);
      return { position: style.position, radius: style.borderRadius, background: style.backgroundColor, right: style.right };
    });
    // The demo sets --parley-accent: #166534 on the element; the widget's own CSS places the button.
    expect(look).toEqual({ position: 'fixed', radius: '50%', background: 'rgb(22, 101, 52)', right: '16px' });
    // The host page's styles stay outside: its serif font does not reach the widget.
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('parley-chat')!.shadowRoot!.querySelector('.parley-widget')!).fontFamily)).not.toMatch(/Georgia/);
    await screenshot(page, 'widget-closed');

    await openChat(page);
    // The nested panel's own SFC styles reached the shadow root too.
    const panel = await page.evaluate(() => {
      const el = document.querySelector('parley-chat')!.shadowRoot!.querySelector('.parley-chat')!;
      return { display: getComputedStyle(el).display, styles: document.querySelector('parley-chat')!.shadowRoot!.querySelectorAll('style').length };
    });
    expect(panel.display).toBe('flex');
    expect(panel.styles).toBeGreaterThan(1);

    // The dialog animates in and out, unless the visitor asks for reduced motion.
    const enterDuration = () =>
      page.evaluate(() => {
        const probe = document.createElement('div');
        probe.className = 'parley-dialog parley-dialog-enter-active';
        document.querySelector('parley-chat')!.shadowRoot!.querySelector('.parley-widget')!.append(probe);
        const duration = getComputedStyle(probe).transitionDuration;
        probe.remove();
        return duration;
      });
    expect(await enterDuration()).toBe('0s');
    await page.emulateMedia({ reducedMotion: 'no-preference' });
    expect(await enterDuration()).toMatch(/^0\.18s/);
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('opens a modal dialog with focus in the composer, traps Tab, closes on Esc and gives focus back to the launcher', async () => {
    const { context, page, problems } = await openDemo();
    await openChat(page);
    expect(await launcher(page).getAttribute('aria-expanded')).toBe('true');
    expect(await dialog(page).getAttribute('aria-modal')).toBe('true');
    expect(await page.getByRole('dialog', { name: 'Ask Parley' }).count()).toBe(1);

    // Tab and Shift+Tab go round inside the dialog, never out to the host page.
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Tab');
      expect((await shadowFocus(page))?.inDialog, `after ${i + 1} Tab`).toBe(true);
    }
    for (let i = 0; i < 14; i++) {
      await page.keyboard.press('Shift+Tab');
      expect((await shadowFocus(page))?.inDialog, `after ${i + 1} Shift+Tab`).toBe(true);
    }

    await page.getByRole('textbox', { name: 'Message' }).focus();
    await page.keyboard.press('Escape');
    await until(() => dialog(page).count(), (n) => n === 0, 'the dialog to close');
    expect(await shadowFocus(page)).toMatchObject({ className: expect.stringContaining('parley-launcher') });
    expect(await launcher(page).getAttribute('aria-expanded')).toBe('false');

    // The close button does the same.
    await openChat(page);
    await page.getByRole('button', { name: 'Close chat' }).click();
    await until(() => dialog(page).count(), (n) => n === 0, 'the dialog to close');
    expect(await shadowFocus(page)).toMatchObject({ className: expect.stringContaining('parley-launcher') });
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('chats inside the widget, keeps the conversation across close, theme, language and title changes', async () => {
    const { context, page, problems } = await openDemo({ colorScheme: 'light' });
    await openChat(page);
    await send(page, 'What should I pack for the ridge loop? [[sim:tokens_per_second=30]] [[sim:reply_tokens=30]]');
    expect(await settled(page)).toBe('complete');
    const replyText = (await assistant(page).last().locator('.message-content').textContent())?.trim();
    expect(replyText?.length).toBeGreaterThan(10);
    await screenshot(page, 'widget-conversation');

    // Esc while a reply streams is the panel's Stop; the dialog stays open.
    await send(page, 'Another long one [[sim:tokens_per_second=8]] [[sim:reply_tokens=300]]');
    await until(() => assistant(page).last().locator('.message-content').count(), (n) => n > 0, 'the first text');
    await page.keyboard.press('Escape');
    expect(await settled(page)).toBe('stopped');
    expect(await dialog(page).count()).toBe(1);

    const messages = page.locator('parley-chat article.message');
    // Role, state and text of every message (not the labels around them, which follow the language).
    const ids = () =>
      messages.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-role')}:${e.getAttribute('data-state')}:${e.querySelector('.message-content')?.textContent}`));
    const before = await ids();
    expect(before).toHaveLength(4);

    await page.getByRole('button', { name: 'Close chat' }).click();
    await until(() => dialog(page).count(), (n) => n === 0, 'the dialog to close');
    await openChat(page);
    expect(await ids()).toEqual(before);

    // Attributes change live: the panel is not remounted and nothing is lost.
    const panelTag = await page.evaluate(() => {
      const panel = document.querySelector('parley-chat')!.shadowRoot!.querySelector('.parley-chat') as HTMLElement & { __e2eMark?: string };
      panel.__e2eMark = 'same panel';
      return panel.tagName;
    });
    expect(panelTag).toBe('SECTION');
    const background = () => page.evaluate(() => getComputedStyle(document.querySelector('parley-chat')!.shadowRoot!.querySelector('.parley-chat')!).backgroundColor);
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.evaluate(() => document.querySelector('parley-chat')!.setAttribute('theme', 'dark'));
    await until(background, (b) => b === 'rgb(13, 17, 23)', 'the dark theme');
    await screenshot(page, 'widget-dark');

    await page.evaluate(() => document.querySelector('parley-chat')!.setAttribute('lang', 'de'));
    await page.getByRole('textbox', { name: 'Nachricht' }).waitFor();
    await launcher(page, 'Chat öffnen').waitFor();
    await page.getByRole('button', { name: 'Chat schließen' }).waitFor();
    await page.evaluate(() => document.querySelector('parley-chat')!.setAttribute('title', 'Frag Parley'));
    await page.getByRole('dialog', { name: 'Frag Parley' }).waitFor();
    expect(await ids()).toEqual(before);
    expect(await page.evaluate(() => (document.querySelector('parley-chat')!.shadowRoot!.querySelector('.parley-chat') as HTMLElement & { __e2eMark?: string }).__e2eMark)).toBe('same panel');
    await screenshot(page, 'widget-german-dark');

    // The next turn goes out in German: the language reaches the backend with the message.
    const chatRequest = page.waitForRequest((r) => r.url().endsWith('/api/v1/chat') && r.method() === 'POST');
    await send(page, 'Und für die Seeroute?', 'Nachricht');
    expect(JSON.parse((await chatRequest).postData() ?? '{}')).toMatchObject({ language: 'de' });
    expect(await settled(page)).toBe('complete');

    // After a reload the widget restores the conversation from the server.
    await page.reload();
    await openChat(page, 'Open chat');
    await until(() => messages.count(), (n) => n >= 4, 'the history to load');
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('follows the lang attribute it is given and the launcher sits bottom-left when asked', async () => {
    const { context, page, problems } = await openDemo();
    await page.evaluate(() => {
      const el = document.querySelector('parley-chat')!;
      el.setAttribute('lang', 'fr');
      el.setAttribute('position', 'bottom-left');
    });
    await launcher(page, 'Ouvrir le chat').waitFor();
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('parley-chat')!.shadowRoot!.querySelector('.parley-launcher')!).left)).toBe('16px');
    await openChat(page, 'Ouvrir le chat');
    expect(await page.locator('parley-chat .parley-chat').getAttribute('lang')).toBe('fr');
    await page.getByRole('button', { name: 'Envoyer', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Fermer le chat' }).waitFor();
    await screenshot(page, 'widget-french');
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('fills a 320 px wide screen and still closes', async () => {
    const { context, page, problems } = await openDemo({ viewport: { width: 320, height: 640 } });
    await openChat(page);
    const box = await dialog(page).boundingBox();
    expect(box).toMatchObject({ x: 0, y: 0, width: 320, height: 640 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await screenshot(page, 'widget-320px');
    await page.getByRole('button', { name: 'Close chat' }).click();
    await until(() => dialog(page).count(), (n) => n === 0, 'the dialog to close');
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('has no serious or critical axe violations in the shadow root: closed, empty, streaming, failed and blocked', async () => {
    const { context, page } = await openDemo({ bypassCSP: true });
    const report: Record<string, unknown> = {};
    report['closed'] = await axeViolations(page);
    await openChat(page);
    await page.locator('parley-chat .parley-hint').waitFor();
    report['empty'] = await axeViolations(page);
    await screenshot(page, 'widget-empty');

    await send(page, 'A slow one [[sim:tokens_per_second=10]] [[sim:reply_tokens=60]]');
    await until(() => assistant(page).last().locator('.message-content').count(), (n) => n > 0, 'the first text');
    report['streaming'] = await axeViolations(page);
    await settled(page);

    await send(page, 'This one fails [[sim:fault=status=400]]');
    await page.locator('parley-chat [role="alert"][data-error-code]').waitFor();
    report['error'] = await axeViolations(page);
    await screenshot(page, 'widget-error');
    await page.getByRole('button', { name: 'Dismiss' }).first().click();
    await page.getByRole('textbox', { name: 'Message' }).fill('');

    await send(page, `Leak it [[sim:reply=The internal reference is ${CANARY}.]]`);
    expect(await settled(page)).toBe('blocked');
    report['blocked'] = await axeViolations(page);
    await screenshot(page, 'widget-blocked');

    expect(report).toEqual({ closed: [], empty: [], streaming: [], error: [], blocked: [] });
    await context.close();
  });

  it('fetches only its entry script until the page is idle, then the panel; calls no API before the first open; fetches highlight.js for code', async () => {
    const { context, page, problems } = await openPage(browser);
    const requests = recordRequests(page);
    await page.goto(`${stack.gateway.url}/demo/`);
    await launcher(page).waitFor();

    // The panel chunk is prefetched once the page has loaded and the browser is idle, nothing else.
    await until(async () => widgetScripts(requests).map((u) => u.pathname), (paths) => paths.some((p) => PANEL_CHUNK.test(p)), 'the panel chunk to be prefetched');
    expect(widgetScripts(requests).map((u) => u.pathname)).toEqual(['/widget.js', expect.stringMatching(PANEL_CHUNK)]);
    // Its resource timing entry appears when the download has finished, a moment after the request.
    await until(() => page.evaluate(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/widget/panel-'))), Boolean, 'the panel chunk to finish loading');
    const timing = await page.evaluate(() => {
      const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const fetched = (part: string) => performance.getEntriesByType('resource').find((e) => e.name.includes(part))?.startTime;
      return { loaded: navigation.loadEventEnd, entry: fetched('/widget.js'), panel: fetched('/widget/panel-') };
    });
    expect(timing.entry).toBeLessThan(timing.loaded);
    expect(timing.panel).toBeGreaterThanOrEqual(timing.loaded);
    // Prefetching is only downloading: no session, no config, nothing asked of the API.
    expect(apiCalls(requests)).toEqual([]);
    expect(await dialog(page).count()).toBe(0);

    // Opening shows the panel at once (its chunk is there), and only now the API is called.
    await openChat(page);
    await page.locator('parley-chat .parley-hint').waitFor();
    await until(async () => apiCalls(requests).length, (n) => n > 0, 'the first API call');
    expect(widgetScripts(requests).map((u) => u.pathname)).toEqual(['/widget.js', expect.stringMatching(PANEL_CHUNK)]);

    // A reply without code does not fetch highlight.js; the first code block does, and is coloured.
    await send(page, 'Hello there');
    expect(await settled(page)).toBe('complete');
    expect(widgetScripts(requests).map((u) => u.pathname)).toEqual(['/widget.js', expect.stringMatching(PANEL_CHUNK)]);
    await send(page, CODE_MESSAGE);
    expect(await settled(page)).toBe('complete');
    await until(() => highlightedTokens(page), (n) => n > 0, 'highlighted code in the reply');
    expect(widgetScripts(requests).map((u) => u.pathname)).toEqual(['/widget.js', expect.stringMatching(PANEL_CHUNK), expect.stringMatching(HIGHLIGHT_CHUNK)]);
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('says so when the panel cannot be fetched and loads it on Try again, with focus in the composer', async () => {
    const { context, page, problems } = await openPage(browser);
    // Offline for the panel chunk only (think: a flaky network, or a deploy that removed it).
    const blockPanel = (route: Route) => route.abort('internetdisconnected');
    await page.route(/\/widget\/panel-[\w-]+\.js$/, blockPanel);
    await page.goto(`${stack.gateway.url}/demo/`);
    await launcher(page).click();
    const alert = page.locator('parley-chat .parley-load-failed[role="alert"]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('The chat could not be loaded');
    expect(await page.getByRole('textbox', { name: 'Message' }).count()).toBe(0);
    await screenshot(page, 'widget-load-failed');

    await page.unroute(/\/widget\/panel-[\w-]+\.js$/, blockPanel);
    await page.getByRole('button', { name: 'Try again' }).click();
    await until(() => shadowFocus(page), (f) => f?.tag === 'textarea', 'focus in the composer');
    expect(await alert.count()).toBe(0);
    await send(page, 'Hello again [[sim:reply_tokens=5]]');
    expect(await settled(page)).toBe('complete');
    // The only errors are the refused fetches themselves.
    expect(problems.errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch dynamically imported module/.test(e))).toEqual([]);
    await context.close();
  });

  it('works on another site: entry and chunks come from the gateway, the chat talks to it across origins, under the site’s strict CSP', async () => {
    const sitePort = await freePort();
    const siteOrigin = `http://127.0.0.1:${sitePort}`;
    // A gateway that lets the site call its API (CORS_ORIGINS); the widget's scripts need no allowlist.
    const gateway = await stack.addGateway({ CORS_ORIGINS: siteOrigin });
    const site = await startHostSite(sitePort, gateway.url);
    try {
      const { context, page, problems } = await openPage(browser);
      const requests = recordRequests(page);
      await page.goto(`${siteOrigin}/`);
      await launcher(page).waitFor();
      await openChat(page);
      await send(page, CODE_MESSAGE);
      expect(await settled(page)).toBe('complete');
      await until(() => highlightedTokens(page), (n) => n > 0, 'highlighted code in the reply');

      // Every widget script came from the gateway (chunks resolved against widget.js's URL, not the page's).
      const scripts = widgetScripts(requests);
      expect(scripts.map((u) => u.pathname)).toEqual(['/widget.js', expect.stringMatching(PANEL_CHUNK), expect.stringMatching(HIGHLIGHT_CHUNK)]);
      expect(scripts.map((u) => u.origin)).toEqual([gateway.url, gateway.url, gateway.url]);
      const api = apiCalls(requests);
      expect(api.length).toBeGreaterThan(0);
      expect(new Set(api.map((u) => u.origin))).toEqual(new Set([gateway.url]));
      // No CORS, CORP or CSP refusal, no script error.
      expect(problems.errors).toEqual([]);
      await screenshot(page, 'widget-cross-origin');
      await context.close();

      // A cache buster on the script URL: that copy hands over to widget.js itself, whose module
      // the chunks share, so the panel still runs on the same Vue as the element.
      const busted = await openPage(browser);
      const bustedRequests = recordRequests(busted.page);
      await busted.page.goto(`${siteOrigin}/cache-busted`);
      await openChat(busted.page);
      await send(busted.page, 'Hello [[sim:reply_tokens=5]]');
      expect(await settled(busted.page)).toBe('complete');
      expect(widgetScripts(bustedRequests).map((u) => `${u.pathname}${u.search}`)).toEqual(['/widget.js?v=2', '/widget.js', expect.stringMatching(PANEL_CHUNK)]);
      expect(busted.problems.errors).toEqual([]);
      await busted.context.close();
    } finally {
      await site.close();
    }
  });

  it.runIf(process.env['PARLEY_README_SCREENSHOT'] === '1')('writes the README screenshot (docs/screenshot.png)', async () => {
    const { context, page } = await openDemo({ viewport: { width: 1280, height: 800 }, colorScheme: 'light', deviceScaleFactor: 1 });
    await openChat(page);
    await send(page, 'What should I pack for the two-hut traverse?');
    expect(await settled(page)).toBe('complete');
    await mkdir(dirname(README_SCREENSHOT), { recursive: true });
    await page.getByRole('textbox', { name: 'Message' }).fill('And for the lakeside trail?');
    await page.screenshot({ path: README_SCREENSHOT });
    await context.close();
  });
});

/**
 * Another website (another origin: same host, another port) embedding the widget from the
 * gateway: the built demo page with the script and api-base pointed at `gatewayUrl` (at
 * /cache-busted, the script's URL has a `?v=2`), its own
 * assets, and a CSP as strict as the README says a page needs (script-src and connect-src
 * allow the gateway; the widget's shadow-root <style>s need style-src 'unsafe-inline').
 */
async function startHostSite(port: number, gatewayUrl: string): Promise<{ close(): Promise<void> }> {
  const demo = await readFile(join(WEB_DIST, 'demo', 'index.html'), 'utf8');
  const page = demo
    .replace('<script type="module" src="/widget.js"', `<script type="module" src="${gatewayUrl}/widget.js"`)
    .replace('<parley-chat api-base=""', `<parley-chat api-base="${gatewayUrl}"`);
  if (!page.includes(`src="${gatewayUrl}/widget.js"`) || !page.includes(`api-base="${gatewayUrl}"`)) throw new Error('The demo page no longer embeds the widget as expected');
  const csp = `default-src 'self'; script-src 'self' ${gatewayUrl}; connect-src ${gatewayUrl}; style-src 'self' 'unsafe-inline'; img-src 'self' data:`;
  const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname;
    if (path === '/' || path === '/cache-busted') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
      res.end(path === '/' ? page : page.replace(`${gatewayUrl}/widget.js"`, `${gatewayUrl}/widget.js?v=2"`));
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204).end(); // the browser asks for one; a 404 would be logged as an error
      return;
    }
    const file = normalize(path);
    if (!file.startsWith('/assets/')) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(WEB_DIST, file)).then(
      (body) => {
        res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
        res.end(body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
