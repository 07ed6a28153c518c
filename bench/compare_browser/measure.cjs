/**
 * Click → charts drawn for a comparison, in Chromium through Playwright.
 *
 * Usage: node measure.cjs <config.json>; prints one JSON object on stdout.
 * Config: {url, token, runs: [{workspace, run_id}], trials, executablePath,
 * playwrightDir}. Each trial runs the `jupyterlab-aml:compare` command (what
 * the sidebar's Compare button runs) and reads the compare view's performance
 * marks: request sent, reply parsed, reply applied, every chart drawn; then
 * waits two animation frames (painted) and closes the tab.
 */
const fs = require('fs');
const path = require('path');

async function main() {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const { chromium } = require(path.join(config.playwrightDir, 'playwright'));
  const browser = await chromium.launch({
    executablePath: config.executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run'
    ]
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${config.url}lab?token=${config.token}`);
    await page.waitForFunction(
      () => window.jupyterapp?.commands.hasCommand('jupyterlab-aml:compare'),
      null,
      { timeout: 120000 }
    );
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    const trials = [];
    for (let i = 0; i < config.trials; i++) {
      trials.push(await page.evaluate(trial, config.runs));
      await page.evaluate(() =>
        window.jupyterapp.commands.execute('application:close-all')
      );
    }
    process.stdout.write(JSON.stringify({ trials }) + '\n');
  } finally {
    await browser.close();
  }
}

/**
 * One comparison opened and drawn, timed in the page (milliseconds from the click).
 */
async function trial(runs) {
  const mark = name => performance.getEntriesByName(`jp-aml-compare:${name}`);
  const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
  performance.clearMarks();
  const t0 = performance.now();
  void window.jupyterapp.commands.execute('jupyterlab-aml:compare', { runs });
  const deadline = t0 + 300000;
  while (mark('drawn').length === 0) {
    if (performance.now() > deadline) {
      throw new Error('the charts were not drawn within 300 s');
    }
    await new Promise(resolve => setTimeout(resolve, 2));
  }
  await frame();
  await frame();
  const painted = performance.now() - t0;
  const at = name => (mark(name)[0]?.startTime ?? NaN) - t0;
  const charts = [...document.querySelectorAll('.jp-aml-compare-chart')].map(c => ({
    key: c.dataset.key,
    series: Number(c.dataset.seriesCount),
    points: Number(c.dataset.points)
  }));
  return {
    request: at('request'),
    response: at('response'),
    applied: at('applied'),
    drawn: at('drawn'),
    painted,
    charts
  };
}

main().catch(error => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
