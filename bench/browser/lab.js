/**
 * Driving JupyterLab as a user does: clicks and keys on what is on screen.
 * No `window.jupyterapp` (that needs Galata's in-page extension, which the
 * bench's Lab does not load).
 */
'use strict';

const SIDEBAR_ID = 'jp-aml-sidebar';
const LIVE = '.jp-aml-live-section';

/** Timed actions wait this long for their condition; far above any target. */
const ACTION_TIMEOUT_MS = 120 * 1000;

/**
 * Load Lab (a fresh layout) and wait until the splash screen has gone.
 */
async function openLab(page, url) {
  await page.goto(url);
  await page.waitForSelector('#jupyterlab-splash', {
    state: 'detached',
    timeout: 120 * 1000
  });
  await page.waitForSelector('#jp-main-dock-panel');
}

/**
 * Show a left-sidebar panel by clicking its tab (unless it is shown already).
 */
async function showLeftPanel(page, id) {
  const tab = page.locator(`.jp-SideBar.jp-mod-left li[data-id="${id}"]`);
  if (!(await tab.getAttribute('class')).includes('lm-mod-current')) {
    await tab.click();
  }
  await page.locator(`#${id}`).waitFor({ state: 'visible' });
}

/**
 * Show the experiment tracking sidebar and wait for its runs grid.
 */
async function showSidebar(page) {
  await showLeftPanel(page, SIDEBAR_ID);
  await page
    .locator('.jp-aml-runs-section .jp-aml-runs-table[role="grid"]')
    .waitFor({ state: 'visible', timeout: 120 * 1000 });
}

/**
 * Open a notebook of the server root from the file browser (double click).
 */
async function openNotebook(page, name) {
  await showLeftPanel(page, 'filebrowser');
  await page
    .locator('.jp-DirListing-item .jp-DirListing-itemText')
    .getByText(name, { exact: true })
    .dblclick();
  await mainTab(page, name).waitFor({ state: 'visible' });
  // Run before its kernel is connected, a cell would ask which kernel to start.
  const panel = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
  await panel
    .locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
    .waitFor({ timeout: 120 * 1000 });
  await panel
    .locator('.jp-Toolbar-kernelName[aria-label="Python 3 (ipykernel)"]')
    .waitFor({ timeout: 120 * 1000 });
}

/**
 * The main-area tab titled `label`.
 */
function mainTab(page, label) {
  return page
    .locator('#jp-main-dock-panel .lm-TabBar-tab')
    .filter({ has: page.getByText(label, { exact: true }) });
}

/**
 * Run the first cell of the notebook in focus (Shift+Enter in its editor), then
 * wait for `output`. A key sent before the editor has taken focus is lost, so
 * it is sent again until the cell shows it is queued or running.
 */
async function runFirstCell(page, output, timeout) {
  const cell = page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')
    .first();
  const prompt = cell.locator('.jp-InputPrompt');
  for (let attempt = 0; attempt < 5; attempt++) {
    await cell.locator('.cm-content').click();
    await page.keyboard.press('Shift+Enter');
    try {
      await page.waitForFunction(
        node => node.textContent.includes('*') || /\d/.test(node.textContent),
        await prompt.elementHandle(),
        { timeout: 10 * 1000 }
      );
      break;
    } catch {
      // not taken: try again
    }
  }
  await cell
    .locator('.jp-OutputArea-output')
    .filter({ hasText: output })
    .waitFor({ timeout });
}

/**
 * Arm the probe, act, and return its figures (times relative to the input).
 */
async function timed(page, { match = [], ...probe }, act) {
  await page.evaluate(options => window.amlBench.arm(options), {
    ...probe,
    timeoutMs: ACTION_TIMEOUT_MS
  });
  await act();
  const raw = await page.evaluate(m => window.amlBench.result(m), match);
  const rel = t => (t === null || t === undefined ? null : t - raw.t0);
  return {
    condition_ms: rel(raw.tCondition),
    drawn_ms: rel(raw.tDrawn),
    detail: raw.detail,
    requests: raw.resources.map(r => ({
      url: r.name,
      start_ms: rel(r.startTime),
      response_start_ms: rel(r.responseStart),
      response_end_ms: rel(r.responseEnd),
      body_bytes: r.bodyBytes
    }))
  };
}

module.exports = {
  LIVE,
  SIDEBAR_ID,
  mainTab,
  openLab,
  openNotebook,
  runFirstCell,
  showLeftPanel,
  showSidebar,
  timed
};
