/**
 * MLflow's own UI, served by `mlflow server --workers 1` on the same store, for
 * the analogues that exist:
 *
 * - runs page: from the click on the 10,000-run experiment in MLflow's
 *   experiments list to the first rows of its runs table; back to the list and
 *   through the other experiment between repeats. Then with the runs page
 *   sorted by the metric (MLflow keeps the sort per experiment in
 *   localStorage, as it does when the user sorts).
 * - chart: from the click on the 1M-point run's "Model metrics" tab to its
 *   plotly line drawn; back to "Overview" between repeats.
 *
 * Live points have no analogue: MLflow's charts poll every 30 s.
 */
'use strict';

const { timed } = require('./lab');

const TRAINING_UI = () => {
  // The "Model training" side of MLflow 3's UI (runs table, metric charts); its
  // assistant panel stays closed, as Lab has nothing like it.
  localStorage.setItem('mlflow.workflowType_v1', '"machine_learning"');
  localStorage.setItem('mlflow.assistant.panelOpen_v1', 'false');
};

/** Where MLflow keeps an experiment page's state (sort, columns, ...). */
const pageStateKey = id =>
  `MLflowLocalStorage-1.1-ExperimentPage-["${id}"]-ReactComponentState`;

/**
 * Record the `runs/search` bodies MLflow sends, to check what was asked.
 */
function searchLog(page) {
  const bodies = [];
  page.on('request', request => {
    if (request.url().includes('/runs/search')) {
      bodies.push(request.postData() ?? '');
    }
  });
  return bodies;
}

async function showList(page, config) {
  await page.goto(`${config.mlflowUrl}#/experiments`);
  await experimentLink(page, config.runsExperiment).waitFor({
    timeout: 120 * 1000
  });
}

function experimentLink(page, name) {
  return page.locator(
    `a[data-testid="experiment-list-item-link"][title="${name}"]`
  );
}

async function openRows(page, config, name, experimentId) {
  return timed(
    page,
    {
      name: 'mlflowRows',
      args: { experimentId },
      event: 'click',
      match: ['/runs/search']
    },
    () => experimentLink(page, name).click()
  );
}

async function backToList(page, config) {
  await page.goBack();
  await experimentLink(page, config.runsExperiment).waitFor({
    timeout: 120 * 1000
  });
}

async function runsRepeats(page, config, log, label, bodies) {
  const samples = [];
  for (let i = 0; i < config.repeats; i++) {
    await openRows(
      page,
      config,
      config.otherExperiment,
      config.otherExperimentId
    );
    await backToList(page, config);
    const asked = bodies.length;
    const sample = await openRows(
      page,
      config,
      config.runsExperiment,
      config.runsExperimentId
    );
    sample.search_bodies = bodies.slice(asked);
    log(
      `  MLflow UI ${label} ${i + 1}/${config.repeats}: ${sample.drawn_ms.toFixed(0)} ms`
    );
    samples.push(sample);
    await backToList(page, config);
  }
  return samples;
}

async function runsPage(page, config, log) {
  const bodies = searchLog(page);
  await showList(page, config);
  // Warm-up: the runs page's code is loaded on first use (Lab had all of it at start).
  await openRows(page, config, config.runsExperiment, config.runsExperimentId);
  await backToList(page, config);
  const unsorted = await runsRepeats(
    page,
    config,
    log,
    'runs page, newest first',
    bodies
  );
  await page.evaluate(
    ({ key, sortKey }) => {
      const state = JSON.parse(localStorage.getItem(key) ?? '{}');
      state.orderByKey = `metrics.\`${sortKey}\``;
      state.orderByAsc = false;
      localStorage.setItem(key, JSON.stringify(state));
    },
    { key: pageStateKey(config.runsExperimentId), sortKey: config.sortKey }
  );
  const sorted = await runsRepeats(
    page,
    config,
    log,
    `runs page, by ${config.sortKey}`,
    bodies
  );
  return { unsorted, sorted };
}

async function chart(page, config, log) {
  await page.goto(
    `${config.mlflowUrl}#/experiments/${config.otherExperimentId}/runs/${config.historyRunId}`
  );
  const tab = name => page.getByRole('tab', { name, exact: true });
  await tab('Model metrics').waitFor({ timeout: 120 * 1000 });
  const samples = [];
  for (let i = 0; i < config.repeats; i++) {
    const sample = await timed(
      page,
      {
        name: 'mlflowChart',
        args: { minSegments: 50 },
        event: 'click',
        match: ['/metrics/']
      },
      () => tab('Model metrics').click()
    );
    log(
      `  MLflow UI chart ${i + 1}/${config.repeats}: ${sample.drawn_ms.toFixed(0)} ms`
    );
    samples.push(sample);
    await tab('Overview').click();
    await page.locator('.js-plotly-plot').waitFor({ state: 'detached' });
  }
  return samples;
}

/**
 * A page of its own browser context, with the probe and MLflow's training UI.
 */
async function mlflowPage(browser, contextOptions, config) {
  const context = await browser.newContext(contextOptions);
  await context.addInitScript({ path: config.probePath });
  await context.addInitScript(TRAINING_UI);
  return { context, page: await context.newPage() };
}

module.exports = { chart, mlflowPage, runsPage };
