/**
 * Steps shared by the specs.
 */

import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator, TestInfo } from '@playwright/test';

/**
 * Keep a screenshot as an artifact of the test (read by eye, not compared).
 */
export async function shoot(
  target: Locator,
  testInfo: TestInfo,
  name: string
): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await target.screenshot({ path });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/**
 * Switch to the dark theme and wait until it is drawn.
 */
export async function switchToDarkTheme(
  page: IJupyterLabPageFixture
): Promise<void> {
  await switchTheme(page, 'JupyterLab Dark');
}

/**
 * Switch to a theme and wait until it is drawn: the theme's splash covers the
 * page while it loads, and charts rebuild with the new colours on the next
 * animation frames.
 */
export async function switchTheme(
  page: IJupyterLabPageFixture,
  theme: 'JupyterLab Light' | 'JupyterLab Dark'
): Promise<void> {
  await page.evaluate(async theme => {
    await window.jupyterapp.commands.execute('apputils:change-theme', {
      theme
    });
  }, theme);
  await expect(page.locator('body')).toHaveAttribute(
    'data-jp-theme-name',
    theme
  );
  await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
  await page.evaluate(
    () =>
      new Promise(resolve =>
        requestAnimationFrame(() => requestAnimationFrame(resolve))
      )
  );
}

/**
 * Reach `to` as a keyboard user does: focus `from`, press Tab, and expect the
 * focus on `to`.
 */
export async function tabOnto(from: Locator, to: Locator): Promise<void> {
  await from.focus();
  await from.page().keyboard.press('Tab');
  await expect(to).toBeFocused();
}
