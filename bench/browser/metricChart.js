/**
 * A 1,000,000-point metric drawn by the sidebar's live charts.
 *
 * The live charts show the newest run of the notebook in focus, and only a
 * run its kernel created (the run detail shows values, not charts). So the
 * chart notebook creates a run and its cell copies the cached 1M-point
 * history into it; the timed action is then the click on that notebook's tab,
 * coming from another notebook whose kernel has no run. The first repeat asks
 * the server cold, later ones hit its history cache. Then the chart's
 * "expand to a tab" button, which draws from the points already loaded.
 */
'use strict';

const {
  LIVE,
  mainTab,
  openNotebook,
  runFirstCell,
  showSidebar,
  timed
} = require('./lab');

/** The routes a notebook switch calls before its charts can draw. */
const MATCH = ['/aml/api/kernels/', '/aml/api/workspaces/'];

async function waitStatus(page, status) {
  await page
    .locator(`${LIVE}[data-status="${status}"]`)
    .waitFor({ timeout: 120 * 1000 });
}

/**
 * Open both notebooks and run the chart notebook's set-up cell.
 */
async function setUp(page, config, log) {
  await openNotebook(page, config.liveNotebook);
  await openNotebook(page, config.chartNotebook);
  await showSidebar(page);
  log(
    '  chart notebook: creating its run and copying the 1M-point history into it'
  );
  await runFirstCell(page, 'BENCH copied', 300 * 1000);
  await waitStatus(page, 'live');
}

/**
 * The timed notebook switches, then the expand button.
 */
async function metricChart(page, config, log) {
  await setUp(page, config, log);
  // A history request before the first timed switch would make it warm.
  const fetchedBefore = await page.evaluate(
    key => window.amlBench.resources(`/metrics/${key}`),
    config.key
  );
  const switches = [];
  for (let i = 0; i < config.repeats; i++) {
    await mainTab(page, config.liveNotebook).click();
    await waitStatus(page, 'no-run');
    const sample = await timed(
      page,
      {
        name: 'chartPoints',
        args: { scope: LIVE, key: config.key, minPoints: 1 },
        event: 'pointerdown',
        match: MATCH
      },
      () => mainTab(page, config.chartNotebook).click()
    );
    log(
      `  1M chart, notebook switch ${i + 1}/${config.repeats}: ${sample.drawn_ms.toFixed(0)} ms`
    );
    switches.push(sample);
  }
  const expands = [];
  const expand = page.locator(
    `${LIVE} .jp-aml-metric-chart[data-key="${config.key}"] .jp-aml-chart-expand`
  );
  for (let i = 0; i < config.repeats; i++) {
    const sample = await timed(
      page,
      {
        name: 'chartPoints',
        args: { scope: '.jp-aml-chart-panel', key: config.key, minPoints: 1 },
        event: 'click',
        match: MATCH
      },
      () => expand.click()
    );
    log(
      `  1M chart, expand ${i + 1}/${config.repeats}: ${sample.drawn_ms.toFixed(0)} ms`
    );
    expands.push(sample);
    await page
      .locator(
        `#jp-main-dock-panel .lm-TabBar-tab[data-id="${config.chartPanelId}"] .lm-TabBar-tabCloseIcon`
      )
      .click();
    await page.locator('.jp-aml-chart-panel').waitFor({ state: 'detached' });
  }
  return { fetched_before_first: fetchedBefore, switches, expands };
}

module.exports = { metricChart };
