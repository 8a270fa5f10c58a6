// Debian's Chromium driven by playwright-core: never a downloaded browser.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { WEB_DIR } from './harness';

export const CHROMIUM = process.env.HEADWAY_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = join(WEB_DIR, 'e2e', 'artifacts');

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 390, height: 844 };

export interface Browser {
  /**
   * A context of its own for one scenario: its own cookies and its own page clock
   * (page.clock belongs to the context and stays installed in it).
   */
  newContext(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/** Debian's Chromium with a fresh temporary profile (Playwright's own, removed on close). */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (the suite never downloads a browser)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 60_000,
  });
  return {
    newContext: async () => {
      const context = await browser.newContext({ viewport: DESKTOP });
      context.setDefaultTimeout(15_000);
      return context;
    },
    close: async () => {
      await browser.close().catch(() => {});
    },
  };
}

/** Save a screenshot to e2e/artifacts/<name>.png (gitignored; kept as the run's artifacts). */
export async function snap(page: Page, name: string): Promise<string> {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

