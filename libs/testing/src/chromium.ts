import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';

/** Debian's Chromium: the browser the browser suites drive (playwright-core downloads none). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Starts headless Chromium for a suite: no sandbox (containers), nothing fetched from the network by itself.
 * playwright-core is loaded here, not with the testing lib: only the browser suites pay for it.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
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
