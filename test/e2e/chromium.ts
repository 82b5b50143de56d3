// Debian's Chromium through playwright-core, with the flags this machine needs. Imports nothing
// from the test stack, so the bench (bench/sections/web.mjs, plain Node with type stripping)
// can use it too.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}
