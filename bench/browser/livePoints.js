/**
 * Point to screen: the live notebook's cell logs 10 points/s for 30 s with
 * `mlflow.log_metric` (run with Shift+Enter, as a user would), and the page
 * stamps every increase of the live chart's `data-points`. The kernel writes
 * its own `time.time()` stamps to a file; the Python side pairs them up.
 */
'use strict';

const { LIVE, mainTab, runFirstCell } = require('./lab');

async function livePoints(page, config, log) {
  await mainTab(page, config.liveNotebook).click();
  await page
    .locator(`${LIVE}[data-status="no-run"]`)
    .waitFor({ timeout: 120 * 1000 });
  await page.evaluate(options => window.amlBench.recordPoints(options), {
    scope: LIVE,
    key: config.liveKey
  });
  log(`  live notebook: logging ${config.livePoints} points at 10/s`);
  await runFirstCell(page, 'BENCH live done', 300 * 1000);
  // The last points may still be on their way to the screen.
  await page.waitForTimeout(2000);
  return page.evaluate(() => window.amlBench.stopRecording());
}

module.exports = { livePoints };
