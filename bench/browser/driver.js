/**
 * The browser bench's Playwright driver: `node driver.js <config.json>`.
 *
 * The Python side (`bench/browser/bench.py`) starts the servers, writes the
 * notebooks and the config, and reads the JSON this writes to
 * `config.output`. Each phase records its error instead of stopping the
 * others; progress goes to stderr.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const { metricChart } = require('./metricChart');
const { livePoints } = require('./livePoints');
const { chart, mlflowPage, runsPage } = require('./mlflowUi');
const { openLab, showSidebar } = require('./lab');
const { runsTable } = require('./runsTable');

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
// Playwright comes from the Galata tests' install (ui-tests/node_modules), and so does the
// launch: Debian's Chromium and its flags, from ui-tests/playwright.config.js.
const { chromium } = createRequire(config.playwrightConfig)('@playwright/test');
const { launchOptions } = require(config.playwrightConfig).use;
const CONTEXT = { viewport: { width: 1600, height: 1000 } };

const log = message => process.stderr.write(`${message}\n`);

async function phase(results, name, screenshotPage, work) {
  const started = Date.now();
  try {
    results[name] = await work();
  } catch (error) {
    log(`  ${name} failed: ${error.stack ?? error}`);
    results[name] = { error: String(error.message ?? error) };
    const page = screenshotPage();
    if (page) {
      const file = path.join(config.workDir, `${name}-failure.png`);
      await page.screenshot({ path: file }).catch(() => undefined);
      results[name].screenshot = file;
    }
  }
  results.seconds[name] = (Date.now() - started) / 1000;
}

async function main() {
  const results = { seconds: {} };
  const browser = await chromium.launch(launchOptions);
  results.browser_version = browser.version();
  try {
    const context = await browser.newContext(CONTEXT);
    await context.addInitScript({ path: config.probePath });
    const page = await context.newPage();
    const lab = () => page;
    await phase(results, 'lab_load', lab, async () => {
      const started = Date.now();
      await openLab(page, config.labUrl);
      await showSidebar(page);
      return { seconds: (Date.now() - started) / 1000 };
    });
    if (!results.lab_load.error) {
      log('runs table (Lab):');
      await phase(results, 'runs_table', lab, () =>
        runsTable(page, config, log)
      );
      log('1M-point chart (Lab):');
      await phase(results, 'metric_chart', lab, () =>
        metricChart(page, config, log)
      );
      log('live points (Lab):');
      await phase(results, 'live_points', lab, () =>
        livePoints(page, config, log)
      );
      if (config.screenshot) {
        await page.screenshot({ path: config.screenshot });
      }
    }
    await context.close();
    log('MLflow UI:');
    const mlflow = await mlflowPage(browser, CONTEXT, config);
    const ui = () => mlflow.page;
    await phase(results, 'mlflow_runs', ui, () =>
      runsPage(mlflow.page, config, log)
    );
    await phase(results, 'mlflow_chart', ui, () =>
      chart(mlflow.page, config, log)
    );
    await mlflow.context.close();
  } finally {
    await browser.close();
  }
  fs.writeFileSync(config.output, JSON.stringify(results, null, 2));
}

main().catch(error => {
  log(error.stack ?? String(error));
  process.exit(1);
});
