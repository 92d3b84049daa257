// Debian's Chromium, headless, driven by playwright-core: no browser download, no network.
// Playwright gives each launch a fresh profile directory of its own.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.MEMGRADE_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
