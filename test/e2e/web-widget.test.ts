// The embeddable widget (<parley-chat>, dist/widget.js) on the demo host page the gateway
// serves at /demo/, in Debian's Chromium against the real stack. Playwright's locators pierce
// open shadow roots, so the panel's DOM contract is queried as on the standalone page.
// PARLEY_README_SCREENSHOT=1 also writes docs/screenshot.png (scripts/screenshot.mjs).
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.js';
import { README_SCREENSHOT, axeViolations, launchChromium, openPage, screenshot, until } from './web-support.js';

const CANARY = 'pc-e2ewidgetcanary';

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  [stack, browser] = await Promise.all([
    startStack({ 'chat-service': { PROMPT_CANARY: CANARY }, 'safety-service': { PROMPT_CANARY: CANARY } }),
    launchChromium(),
  ]);
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

async function send(page: Page, text: string, name = 'Message'): Promise<void> {
  const input = page.getByRole('textbox', { name });
  await input.fill(text);
  await input.press('Enter');
}

async function settled(page: Page): Promise<string | null> {
  const last = assistant(page).last();
  await last.waitFor();
  return until(() => last.getAttribute('data-state'), (s) => s !== null && s !== 'streaming', 'the reply to finish');
}

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
