import { expect, test } from '@jupyterlab/galata';

import { shoot, switchToDarkTheme, tabOnto } from './helpers';

const SIDEBAR_ID = 'jp-aml-sidebar';

/**
 * Logs 50 points over about three seconds, so that the chart is seen moving.
 */
const LOGGING_CELL = [
  'import mlflow, time',
  'mlflow.set_experiment("ui")',
  'with mlflow.start_run():',
  '    for i in range(50):',
  '        mlflow.log_metric("loss", 1/(i+1), step=i)',
  '        time.sleep(0.05)'
].join('\n');

test.describe('Live charts of the active kernel', () => {
  test.use({
    // Galata's layout-state mock routes every URL matching /api/workspaces,
    // ours (`aml/api/workspaces`) included; let JupyterLab use the real API.
    mockState: false,
    // Galata's kernel tracker routes every URL matching /api/kernels/<id>,
    // ours (`aml/api/kernels/<id>/runs`) included, and answers 404 for ids it
    // did not see created. Sessions are still tracked and shut down.
    kernels: null
  });

  test('draws a metric while the notebook logs it, in light and dark themes', async ({
    page
  }, testInfo) => {
    await page.notebook.createNew();
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('jupyterlab-aml:open-sidebar');
    });
    const sidebar = page.locator(`#${SIDEBAR_ID}`);
    await expect(sidebar).toBeVisible();
    // The embedded MLflow server starts in the background after JupyterLab.
    await expect(
      sidebar.locator('.jp-aml-workspace[data-name="local"]')
    ).toHaveAttribute('data-state', 'ready', { timeout: 60 * 1000 });

    const section = sidebar.locator('.jp-aml-live-section');
    await expect(section).toBeVisible();
    await expect(section).toHaveAttribute('data-status', 'no-run', {
      timeout: 30 * 1000
    });
    await expect(section.locator('.jp-aml-live-note')).toHaveText(
      'This kernel has not logged a run yet.'
    );

    // Mark the page: a reload would lose the mark.
    await page.evaluate(() => {
      (window as any).amlNoReload = true;
    });
    // Set the source through the model: typing would auto-indent the loop.
    await page.evaluate(async source => {
      const panel = window.jupyterapp.shell.currentWidget as any;
      // A cell run before the kernel is there would not run at all.
      await Promise.all([panel.context.ready, panel.sessionContext.ready]);
      panel.content.activeCell.model.sharedModel.setSource(source);
    }, LOGGING_CELL);

    // Record every count the chart shows, to see it move, not just end at 50.
    await page.evaluate(() => {
      const seen: string[] = ((window as any).amlSeenPoints = []);
      new MutationObserver(() => {
        const chart = document.querySelector(
          '.jp-aml-live-section .jp-aml-metric-chart[data-key="loss"]'
        );
        const points = chart?.getAttribute('data-points');
        if (points && seen[seen.length - 1] !== points) {
          seen.push(points);
        }
      }).observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-points']
      });
    });
    // Not awaited: the cell runs for seconds while the chart fills.
    const execution = page.evaluate(() =>
      window.jupyterapp.commands.execute('notebook:run-cell')
    );

    await expect(section).toHaveAttribute('data-status', 'live', {
      timeout: 30 * 1000
    });
    const chart = section.locator('.jp-aml-metric-chart[data-key="loss"]');
    await expect(chart).toHaveAttribute('data-points', '50', {
      timeout: 60 * 1000
    });
    await execution;
    await expect(section.locator('.jp-aml-run-status')).toHaveText('FINISHED', {
      timeout: 30 * 1000
    });
    await expect(chart.locator('canvas')).toHaveCount(1);
    // Set from uPlot's draw hook: the 50 points were painted, not just handed over.
    await expect(chart).toHaveAttribute('data-drawn-points', '50');
    await expect(chart.locator('.jp-aml-chart-legend')).toContainText(
      'step 49'
    );
    expect(await page.evaluate(() => (window as any).amlNoReload)).toBe(true);
    const seen: string[] = await page.evaluate(
      () => (window as any).amlSeenPoints
    );
    const between = seen.filter(n => Number(n) > 0 && Number(n) < 50);
    expect(between.length).toBeGreaterThanOrEqual(2);

    // A record of what the user sees, kept as artifacts, not compared.
    await shoot(section, testInfo, 'live-chart-light');

    // From the keyboard: Tab from the Expand button onto the plot; the arrows
    // and End show the values as hovering does, + zooms in and 0 back out.
    const plot = chart.locator('.jp-aml-chart-plot');
    await tabOnto(chart.locator('.jp-aml-chart-expand'), plot);
    await expect(plot).toHaveAttribute(
      'aria-label',
      'loss, last value 0.02 at step 49'
    );
    const legend = chart.locator('.jp-aml-chart-legend');
    await page.keyboard.press('ArrowRight');
    await expect(legend).toHaveText('step 0 · 1');
    await page.keyboard.press('ArrowRight');
    await expect(legend).toHaveText('step 1 · 0.5');
    await page.keyboard.press('End');
    await expect(legend).toHaveText('step 49 · 0.02');
    await expect(plot).toHaveAttribute('data-x-min', '0');
    await page.keyboard.press('+');
    await expect(plot).toHaveAttribute('data-x-min', '24.5');
    await expect(plot).toHaveAttribute('data-x-max', '49');
    await shoot(section, testInfo, 'live-chart-keyboard-light');
    await page.keyboard.press('0');
    await expect(plot).toHaveAttribute('data-x-min', '0');
    await expect(plot).toHaveAttribute('data-x-max', '49');
    await switchToDarkTheme(page);
    await expect(chart.locator('canvas')).toHaveCount(1);
    await expect(chart).toHaveAttribute('data-points', '50');
    await expect(chart).toHaveAttribute('data-drawn-points', '50');
    await shoot(section, testInfo, 'live-chart-dark');
    // The focus ring in the dark theme.
    await tabOnto(chart.locator('.jp-aml-chart-expand'), plot);
    await shoot(section, testInfo, 'live-chart-keyboard-dark');

    // The expanded chart follows the same run, in a main-area tab.
    await chart.locator('.jp-aml-chart-expand').click();
    const expanded = page.locator(
      '.jp-aml-chart-panel .jp-aml-metric-chart[data-key="loss"]'
    );
    await expect(expanded).toHaveAttribute('data-points', '50');
    await expect(expanded).toHaveAttribute('data-drawn-points', '50');
    await expect(expanded.locator('canvas')).toHaveCount(1);
    const whole = testInfo.outputPath('lab-with-live-chart-dark.png');
    await page.screenshot({ path: whole });
    await testInfo.attach('lab-with-live-chart-dark', {
      path: whole,
      contentType: 'image/png'
    });
  });
});
