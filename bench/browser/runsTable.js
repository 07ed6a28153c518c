/**
 * Runs table: from the click that picks the 10,000-run experiment in the runs
 * section's experiment picker to its first page of rows on screen.
 *
 * Between repeats the picker goes to another experiment and back, so each
 * repeat loads the page again (the runs model keeps no cache of other scopes).
 * Then the same with a metric sort (one click on the `loss` header).
 */
'use strict';

const { timed } = require('./lab');

const GRID = '.jp-aml-runs-section .jp-aml-runs-table[role="grid"]';

function checkbox(page, experiment) {
  return page.locator(
    `.jp-aml-runs-experiment[data-name="${experiment}"] input[type="checkbox"]`
  );
}

/**
 * Wait until the grid shows a loaded first page of exactly `total` runs (0: empty).
 */
async function waitLoaded(page, total) {
  await page.waitForFunction(
    ({ grid, total }) => {
      const node = document.querySelector(grid);
      return (
        node?.dataset.loading === 'false' &&
        Number(node.dataset.totalLoaded) === total
      );
    },
    { grid: GRID, total },
    { timeout: 120 * 1000 }
  );
}

/**
 * Leave the big experiment for `other` (a real load of that one), then pick none.
 */
async function goElsewhere(page, config) {
  await checkbox(page, config.runsExperiment).uncheck();
  await waitLoaded(page, 0);
  await checkbox(page, config.otherExperiment).check();
  await waitLoaded(page, config.otherRuns);
  await checkbox(page, config.otherExperiment).uncheck();
  await waitLoaded(page, 0);
}

/**
 * One timed pick of the big experiment.
 */
function pickBig(page, config) {
  return timed(
    page,
    {
      name: 'runsFirstPage',
      args: { minRows: config.pageSize },
      event: 'click',
      match: ['/aml/api/workspaces/']
    },
    () => checkbox(page, config.runsExperiment).click()
  );
}

/**
 * The repeats of one configuration (the big experiment is shown on entry).
 */
async function repeats(page, config, log, label) {
  const samples = [];
  for (let i = 0; i < config.repeats; i++) {
    await goElsewhere(page, config);
    const sample = await pickBig(page, config);
    log(
      `  ${label} ${i + 1}/${config.repeats}: ${sample.drawn_ms.toFixed(0)} ms`
    );
    samples.push(sample);
  }
  return samples;
}

/**
 * Both configurations; the sidebar is shown and its default pick is the big experiment.
 */
async function runsTable(page, config, log) {
  // The section picks the experiment updated last at start: make sure it is the big one alone.
  for (const input of await page
    .locator('.jp-aml-runs-experiment input[type="checkbox"]')
    .all()) {
    if (
      (await input.isChecked()) &&
      (await input.getAttribute('value')) !== config.runsExperimentId
    ) {
      await input.uncheck();
    }
  }
  await checkbox(page, config.runsExperiment).check();
  await waitLoaded(page, config.pageSize);

  const unsorted = await repeats(page, config, log, 'runs page, newest first');
  // The sort stays with the runs model across experiments.
  const sortClick = await timed(
    page,
    {
      name: 'runsFirstPage',
      args: { minRows: config.pageSize },
      event: 'click',
      heldBefore: true,
      match: ['/aml/api/workspaces/']
    },
    () =>
      page
        .locator(
          `${GRID} .jp-aml-runs-sort[data-sort="metrics.${config.sortKey}"]`
        )
        .click()
  );
  log(`  sort click on ${config.sortKey}: ${sortClick.drawn_ms.toFixed(0)} ms`);
  const sorted = await repeats(
    page,
    config,
    log,
    `runs page, by ${config.sortKey}`
  );
  const orderBy = await page
    .locator(`${GRID} .jp-aml-runs-header [aria-sort]:not([aria-sort="none"])`)
    .getAttribute('data-column');
  return { unsorted, sorted, sort_click: sortClick, sorted_column: orderBy };
}

module.exports = { runsTable };
