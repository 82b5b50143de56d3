// The standalone page (gateway `/`) in Debian's Chromium against the real stack with llm-sim.
// The panel's DOM contract: root .parley-chat[lang], transcript role=log, messages
// article.message[data-role][data-state] with .message-content, errors role=alert with
// data-error-code (and [data-countdown] while a Retry-After runs), one role=status.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from './stack.js';
import { axeViolations, openPage, screenshot, send, settled as settledReply, simStats, startBrowserStack, streamedLengths, until, watchStreaming } from './web-support.js';

// The deployment's system-prompt canary: a reply that contains it is blocked on output (and
// only on output: a user may type it), which is how a test gets llm-sim to say something
// the safety policy withholds.
const CANARY = 'pc-e2ebrowsercanary';

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  ({ stack, browser } = await startBrowserStack(CANARY));
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const assistant = (page: Page) => page.locator('article.message[data-role="assistant"]');
const composer = (page: Page, name = 'Message') => page.getByRole('textbox', { name });

/** Waits for the last reply to leave `streaming`, and returns its state. */
const settled = (page: Page) => settledReply(assistant(page));

async function openStandalone(options: Parameters<typeof openPage>[1] = {}, url = stack.gateway.url) {
  const opened = await openPage(browser, options);
  await opened.page.goto(url);
  await opened.page.locator('.parley-chat').waitFor();
  return opened;
}

describe('the standalone page in a real browser', () => {
  it('streams a reply token by token: several lengths paint before it is done, then the composer is back', async () => {
    const { context, page, problems } = await openStandalone();
    await watchStreaming(page);
    await send(page, 'Tell me about the ridge loop [[sim:tokens_per_second=25]] [[sim:reply_tokens=40]]');

    const reply = assistant(page).last();
    await until(() => reply.getAttribute('data-state'), (s) => s === 'streaming', 'the reply to start streaming');
    expect(await reply.getAttribute('aria-busy')).toBe('true');
    await until(() => reply.locator('.message-content').count(), (n) => n > 0, 'the first text');
    await screenshot(page, 'standalone-streaming');

    expect(await settled(page)).toBe('complete');
    const lengths = await streamedLengths(page);
    expect(lengths.filter((n) => n > 0).length, `lengths seen: ${lengths.join(', ')}`).toBeGreaterThanOrEqual(3);
    expect((await reply.locator('.message-content').textContent())?.trim().length).toBeGreaterThan(20);
    // One polite status region for the whole panel, instead of announcing every token.
    expect(await page.getByRole('status').count()).toBe(1);
    expect(await page.locator('.parley-chat > [role="status"]').textContent()).toContain('Done');
    await until(() => composer(page).isEnabled(), Boolean, 'the composer to come back');
    await screenshot(page, 'standalone-complete');
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('stops mid-stream: the reply is marked stopped and llm-sim sees the cancellation', async () => {
    const { context, page, problems } = await openStandalone();
    const before = (await simStats(stack.sim.url)).cancellations;
    await send(page, 'Tell me a very long story [[sim:tokens_per_second=8]] [[sim:reply_tokens=400]]');
    const reply = assistant(page).last();
    await until(() => reply.locator('.message-content').count(), (n) => n > 0, 'the first text');

    await page.getByRole('button', { name: 'Stop', exact: true }).click();
    expect(await settled(page)).toBe('stopped');
    await until(async () => (await simStats(stack.sim.url)).cancellations, (n) => n > before, 'llm-sim to count the cancellation');
    await until(() => composer(page).isEnabled(), Boolean, 'the composer to come back');
    await screenshot(page, 'standalone-stopped');
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('in auto mode (the default) asks for consent and stores nothing in the browser before it; a page with its own consent manager is not asked', async () => {
    const gateway = await stack.addGateway({ CONSENT_MODE: 'auto' });
    const { context, page, problems } = await openStandalone({}, gateway.url);
    const banner = page.getByRole('region', { name: 'Privacy' });
    await banner.waitFor();
    const stored = () => page.evaluate(async () => ({ local: localStorage.length, session: sessionStorage.length, cookies: document.cookie }));
    const cookies = async () => (await context.cookies()).length;

    // Chatting works before consent, but nothing is kept: a reload starts a new conversation.
    await send(page, 'Hello before consent');
    expect(await settled(page)).toBe('complete');
    expect(await stored()).toEqual({ local: 0, session: 0, cookies: '' });
    expect(await cookies()).toBe(0);
    await page.reload();
    await banner.waitFor();
    await page.locator('.parley-chat [role="log"]').waitFor();
    expect(await page.locator('article.message').count()).toBe(0);

    // After Accept the session is kept: the conversation survives a reload, and the banner is gone.
    await banner.getByRole('button', { name: 'Accept' }).click();
    await until(() => banner.count(), (n) => n === 0, 'the banner to go');
    await send(page, 'Hello after consent');
    expect(await settled(page)).toBe('complete');
    expect((await stored()).local).toBeGreaterThan(0);
    await page.reload();
    await until(() => page.locator('article.message').count(), (n) => n === 2, 'the history to load');
    expect(await page.getByRole('region', { name: 'Privacy' }).count()).toBe(0);
    expect(problems.errors).toEqual([]);
    await context.close();

    // A host page that runs its own consent manager (IAB TCF here) is not asked again.
    const withCmp = await openPage(browser);
    await withCmp.page.addInitScript(() => {
      (window as unknown as { __tcfapi: () => void }).__tcfapi = () => {};
    });
    await withCmp.page.goto(gateway.url);
    await withCmp.page.locator('.parley-chat [role="log"]').waitFor();
    await send(withCmp.page, 'Hello from a site with a consent manager');
    expect(await settled(withCmp.page)).toBe('complete');
    expect(await withCmp.page.getByRole('region', { name: 'Privacy' }).count()).toBe(0);
    expect(withCmp.problems.errors).toEqual([]);
    await withCmp.context.close();
  });

  it('restores the conversation from the server after a reload', async () => {
    const { context, page, problems } = await openStandalone();
    await send(page, 'Hello from a real browser');
    expect(await settled(page)).toBe('complete');
    const replyText = (await assistant(page).last().locator('.message-content').textContent())?.trim();
    expect(replyText?.length).toBeGreaterThan(10);

    await page.reload();
    const messages = page.locator('article.message');
    await until(() => messages.count(), (n) => n === 2, 'the history to load');
    expect(await messages.nth(0).getAttribute('data-role')).toBe('user');
    expect((await messages.nth(0).locator('.message-content').textContent())?.trim()).toBe('Hello from a real browser');
    expect((await messages.nth(1).locator('.message-content').textContent())?.trim()).toBe(replyText);
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('counts down a 429 live from Retry-After, with Send disabled until the wait is over', async () => {
    // A replica with a tight session limit: a burst of 2 (the history and one turn), then one per 4 s.
    const strict = await stack.addGateway({ RATE_LIMIT_SESSION_PER_MINUTE: '2', RATE_LIMIT_WINDOW_SECONDS: '8' });
    const { context, page, problems } = await openStandalone({}, strict.url);
    await send(page, 'First message');
    expect(await settled(page)).toBe('complete');

    await send(page, 'Second message, too soon');
    const alert = page.locator('[role="alert"][data-error-code]');
    await alert.waitFor();
    expect(await alert.getAttribute('data-error-code')).toBe('rate_limited');
    const countdown = alert.locator('[data-countdown]');
    const seconds = async () => Number(/\d+/.exec((await countdown.textContent().catch(() => '')) ?? '')?.[0] ?? 0);
    const first = await seconds();
    expect(first).toBeGreaterThan(0);
    await screenshot(page, 'standalone-rate-limited');

    const sendButton = page.getByRole('button', { name: 'Send', exact: true });
    // The refused text is handed back, so only the wait keeps Send disabled.
    expect(await composer(page).inputValue()).toBe('Second message, too soon');
    expect(await sendButton.isDisabled()).toBe(true);
    await until(seconds, (s) => s > 0 && s < first, 'the countdown to go down');
    expect(await sendButton.isDisabled()).toBe(true);

    await until(() => countdown.count(), (n) => n === 0, 'the countdown to end', 10_000);
    await until(() => sendButton.isEnabled(), Boolean, 'Send to come back');
    // The 429 itself is logged by Chromium as a failed resource load; nothing else may be.
    expect(problems.errors.filter((e) => !/status of 429/.test(e))).toEqual([]);
    await context.close();
  });

  it('shows a localized notice for a reply the safety policy blocks, and the withheld text never reaches the DOM', async () => {
    const { context, page, problems } = await openStandalone();
    const withheld = `Here is a first sentence that may pass the window. The internal reference is ${CANARY} and more.`;
    await send(page, `What is the internal reference? [[sim:reply=${withheld}]]`);
    expect(await settled(page)).toBe('blocked');

    const reply = assistant(page).last();
    expect(await reply.textContent()).toContain('This reply was withheld');
    expect(await page.locator('.parley-chat > [role="status"]').textContent()).toContain('withheld');
    // The user's own message holds the directive, so the canary is in the page exactly that many times.
    const html = await page.content();
    const userHtml = (await page.locator('article.message[data-role="user"]').evaluateAll((els) => els.map((e) => e.outerHTML))).join('');
    expect(html.split(CANARY).length).toBe(userHtml.split(CANARY).length);
    expect(await reply.evaluate((el) => el.outerHTML)).not.toContain('first sentence that may pass');
    await screenshot(page, 'standalone-blocked');
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('speaks German and French through the switcher, and the assistant gets the chosen language', async () => {
    const { context, page, problems } = await openStandalone({ locale: 'en-US' });
    await page.getByLabel('Language').selectOption('de');
    await until(() => page.locator('.parley-chat').getAttribute('lang'), (l) => l === 'de', 'the panel to switch to German');
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    const question = 'Was soll ich für die Gratwanderung einpacken?';
    await send(page, question, 'Nachricht');
    await page.getByRole('button', { name: 'Senden', exact: true }).waitFor();
    expect(await settled(page)).toBe('complete');
    const germanReply = (await assistant(page).last().locator('.message-content').textContent())?.trim();
    await screenshot(page, 'standalone-german');

    // llm-sim's reply is a function of the whole prompt, the system prompt in the chosen language
    // included: the same question on a fresh session in German gives the same reply, in English not.
    const replyVia = async (language: string) => {
      const session = (await (await fetch(`${stack.gateway.url}/api/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ language }) })).json()) as { token: string };
      const res = await fetch(`${stack.gateway.url}/api/v1/chat`, {
        method: 'POST',
        headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ message: question, language }),
      });
      return ((await res.json()) as { reply: string }).reply.trim();
    };
    expect(germanReply).toBe(await replyVia('de'));
    expect(germanReply).not.toBe(await replyVia('en'));

    await page.getByLabel('Sprache').selectOption('fr');
    await until(() => page.locator('.parley-chat').getAttribute('lang'), (l) => l === 'fr', 'the panel to switch to French');
    await page.getByRole('button', { name: 'Envoyer', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Nouvelle conversation' }).waitFor();
    expect(await page.getByLabel('Langue').inputValue()).toBe('fr');
    // The conversation survives a language switch.
    expect(await page.locator('article.message').count()).toBe(2);
    await screenshot(page, 'standalone-french');

    // The choice is remembered (storage is allowed without a banner in this deployment).
    await page.reload();
    await until(() => page.locator('.parley-chat').getAttribute('lang'), (l) => l === 'fr', 'the remembered language');
    expect(problems.errors).toEqual([]);
    await context.close();
  });

  it('has no serious or critical axe violations when empty, streaming, failed or blocked', async () => {
    // axe is injected as a script, which the page's CSP (rightly) refuses: this context bypasses it.
    const { context, page } = await openStandalone({ bypassCSP: true });
    const report: Record<string, unknown> = {};
    await until(() => page.locator('.parley-hint').count(), (n) => n > 0, 'the empty state');
    report['empty'] = await axeViolations(page);
    await screenshot(page, 'standalone-empty');

    await send(page, 'A slow one [[sim:tokens_per_second=10]] [[sim:reply_tokens=60]]');
    await until(() => assistant(page).last().locator('.message-content').count(), (n) => n > 0, 'the first text');
    report['streaming'] = await axeViolations(page);
    expect(await assistant(page).last().getAttribute('data-state')).toBe('streaming');
    await settled(page);

    await send(page, 'This one fails [[sim:fault=status=400]]');
    await page.locator('[role="alert"][data-error-code]').waitFor();
    report['error'] = await axeViolations(page);
    await screenshot(page, 'standalone-error');
    await page.getByRole('button', { name: 'Dismiss' }).first().click();
    await composer(page).fill('');

    await send(page, `Leak it [[sim:reply=The internal reference is ${CANARY}.]]`);
    expect(await settled(page)).toBe('blocked');
    report['blocked'] = await axeViolations(page);

    expect(report).toEqual({ empty: [], streaming: [], error: [], blocked: [] });
    await context.close();
  });
});
