import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startStack, type Stack } from './stack.js';

// Debian's Chromium (apt package `chromium`, installed by .ci/run); browser downloads are not used.
const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  stack = await startStack();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe('the web UI in a real browser', () => {
  it('holds a conversation through the gateway and restores it after a reload', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(stack.gateway.url);
    const input = page.getByLabel('Message');
    await input.fill('Hello from a real browser');
    await input.press('Enter');

    const reply = page.locator('.message-assistant .message-text').first();
    await expect.poll(async () => (await reply.textContent())?.trim().length ?? 0, { timeout: 10_000 }).toBeGreaterThan(10);
    // Input comes back once the reply is complete: one message at a time.
    await expect.poll(() => input.isEnabled(), { timeout: 10_000 }).toBe(true);
    const replyText = (await reply.textContent())?.trim();

    await page.reload();
    const restored = page.locator('.message-text');
    await expect.poll(() => restored.count(), { timeout: 10_000 }).toBe(2);
    expect((await restored.nth(0).textContent())?.trim()).toBe('Hello from a real browser');
    expect((await restored.nth(1).textContent())?.trim()).toBe(replyText);
    expect(problems).toEqual([]);
    await page.close();
  });
});
