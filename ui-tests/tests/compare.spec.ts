import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { tabOnto } from './helpers';

/**
 * Three runs in two experiments of the embedded `local` store, logged for real
 * through the extension's MLflow passthrough (`aml/mlflow/local/...`), as any
 * MLflow client reaching Jupyter would log them.
 */
const RUNS = [
  {
    name: 'alpha',
    experiment: 0,
    params: { lr: '0.01', optimizer: 'adam', layers: '2' },
    finalLoss: 0.2,
    finalAccuracy: 0.9
  },
  {
    name: 'beta',
    experiment: 0,
    params: { lr: '0.001', optimizer: 'adam', layers: '2' },
    finalLoss: 0.35,
    finalAccuracy: 0.8
  },
  {
    name: 'gamma',
    experiment: 1,
    params: { lr: '0.01', optimizer: 'sgd', layers: '2' },
    finalLoss: 0.5,
    finalAccuracy: 0.95
  }
];
const STEPS = 20;

/**
 * Call the MLflow REST API of the `local` workspace through the passthrough,
 * from the page (so with its Jupyter session).
 */
async function mlflow(
  page: IJupyterLabPageFixture,
  route: string,
  body: unknown
): Promise<any> {
  return page.evaluate(
    async ({ route, body }) => {
      const base = window.jupyterapp.serviceManager.serverSettings.baseUrl;
      const xsrf = document.cookie.match(/_xsrf=([^;]+)/)?.[1];
      const response = await fetch(
        `${base}aml/mlflow/local/api/2.0/mlflow/${route}`,
        {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            'Content-Type': 'application/json',
            ...(xsrf ? { 'X-XSRFToken': decodeURIComponent(xsrf) } : {})
          },
          body: JSON.stringify(body)
        }
      );
      if (!response.ok) {
        throw new Error(
          `${route}: ${response.status} ${await response.text()}`
        );
      }
      return response.json();
    },
    { route, body }
  );
}

/**
 * Points of `loss` at `steps`, one second apart.
 */
function lossPoints(
  steps: number[],
  t0: number,
  value: (step: number) => number
) {
  return steps.map(step => ({
    key: 'loss',
    value: value(step),
    timestamp: t0 + step * 1000,
    step
  }));
}

/**
 * Log the runs; returns their ids in the order of `RUNS`.
 */
async function seedRuns(page: IJupyterLabPageFixture): Promise<string[]> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const experiments: string[] = [];
  for (const name of ['compare-a', 'compare-b']) {
    const reply = await mlflow(page, 'experiments/create', {
      name: `${name}-${suffix}`
    });
    experiments.push(reply.experiment_id);
  }
  const ids: string[] = [];
  const t0 = Date.now() - 60_000;
  const steps = [...Array(STEPS).keys()];
  for (const run of RUNS) {
    const created = await mlflow(page, 'runs/create', {
      experiment_id: experiments[run.experiment],
      run_name: run.name,
      start_time: t0
    });
    const runId = created.run.info.run_id;
    const f = (step: number) => step / (STEPS - 1);
    const metrics = [
      ...lossPoints(steps, t0, s => 1 - (1 - run.finalLoss) * f(s)),
      ...steps.map(step => ({
        key: 'accuracy',
        value: 0.5 + (run.finalAccuracy - 0.5) * f(step),
        timestamp: t0 + step * 1000,
        step
      })),
      ...steps.map(step => ({
        key: 'custom_metric',
        value: step,
        timestamp: t0 + step * 1000,
        step
      }))
    ];
    await mlflow(page, 'runs/log-batch', {
      run_id: runId,
      metrics,
      params: Object.entries(run.params).map(([key, value]) => ({ key, value }))
    });
    await mlflow(page, 'runs/update', {
      run_id: runId,
      status: 'FINISHED',
      end_time: t0 + STEPS * 1000
    });
    ids.push(runId);
  }
  return ids;
}

/**
 * Wait until the embedded MLflow server, started in the background, is ready.
 */
async function waitForLocal(page: IJupyterLabPageFixture): Promise<void> {
  await expect
    .poll(
      () =>
        page.evaluate(async () => {
          const base = window.jupyterapp.serviceManager.serverSettings.baseUrl;
          const reply = await fetch(`${base}aml/api/workspaces`, {
            credentials: 'same-origin'
          });
          return (await reply.json()).workspaces[0].state;
        }),
      { timeout: 60 * 1000 }
    )
    .toBe('ready');
}

test.describe('Run comparison', () => {
  // Galata's layout-state mock routes every URL matching /api/workspaces, ours
  // (`aml/api/workspaces`) included; let JupyterLab use the real API.
  test.use({ mockState: false });

  test('compares three runs of two experiments: charts, diff, best cells, restore', async ({
    page
  }, testInfo) => {
    await waitForLocal(page);
    const ids = await seedRuns(page);
    const refs = ids.map(run_id => ({ workspace: 'local', run_id }));

    await page.evaluate(
      async runs =>
        window.jupyterapp.commands.execute('jupyterlab-aml:compare', { runs }),
      refs
    );
    const view = page.locator('.jp-aml-compare');
    await expect(view).toHaveAttribute('data-runs', '3');
    await expect(view).toHaveAttribute('data-loading', 'false');

    // One chart per metric key, one series per run, every point drawn.
    const loss = view.locator('.jp-aml-compare-chart[data-key="loss"]');
    const accuracy = view.locator('.jp-aml-compare-chart[data-key="accuracy"]');
    await expect(view.locator('.jp-aml-compare-chart')).toHaveCount(3);
    await expect(loss).toHaveAttribute('data-series-count', '3');
    await expect(loss).toHaveAttribute('data-points', String(3 * STEPS));
    await expect(loss.locator('canvas')).toHaveCount(1);

    // The diff table: the best cell of each metric row, by the name's direction.
    const diff = view.locator('.jp-aml-diff');
    const column = (name: string) => RUNS.findIndex(r => r.name === name);
    const bestOf = async (key: string, stat: string) => {
      const cells = diff.locator(
        `tr[data-key="${key}"][data-stat="${stat}"] td.jp-aml-diff-cell`
      );
      await expect(cells).toHaveCount(3);
      const flags = await cells.evaluateAll(tds =>
        tds.map(td => td.classList.contains('jp-aml-mod-best'))
      );
      return flags.flatMap((best, i) => (best ? [i] : []));
    };
    expect(await bestOf('loss', 'last')).toEqual([column('alpha')]);
    expect(await bestOf('accuracy', 'last')).toEqual([column('gamma')]);
    expect(await bestOf('loss', 'max')).toEqual([]); // all start at 1: no best
    const bestCell = diff.locator(
      'tr[data-key="loss"][data-stat="last"] td.jp-aml-mod-best'
    );
    await expect(bestCell).toHaveAttribute('aria-label', '0.2, best');
    // An unknown name is guessed "lower is better" and says it is a guess.
    await expect(
      diff.locator('[data-direction-key="custom_metric"]')
    ).toHaveText('↓?');

    // "Only differences" hides the param all runs share.
    await expect(diff.locator('tr[data-key="layers"]')).toHaveCount(1);
    await diff.getByLabel('Only differences').check();
    await expect(diff.locator('tr[data-key="layers"]')).toHaveCount(0);
    await expect(diff.locator('tr[data-key="lr"]')).toHaveCount(1);
    await expect(diff.locator('tr[data-key="optimizer"]')).toHaveCount(1);

    // The rows shown go to the clipboard as Markdown, best values in bold.
    await page
      .context()
      .grantPermissions(['clipboard-read', 'clipboard-write']);
    await diff.getByRole('button', { name: 'Copy Markdown' }).click();
    const markdown = await page.evaluate(() => navigator.clipboard.readText());
    expect(markdown).toContain('| key | value | alpha | beta | gamma |');
    expect(markdown).toContain('| loss | last ↓ | **0.2** | 0.35 | 0.5 |');
    expect(markdown).not.toContain('| layers |');

    // Switching a direction moves the best cell.
    await diff.locator('[data-direction-key="loss"]').click();
    expect(await bestOf('loss', 'last')).toEqual([column('gamma')]);
    await diff.locator('[data-direction-key="loss"]').click();

    // Parallel coordinates: one line per run.
    const parallel = view.locator('.jp-aml-parallel');
    await expect(parallel.locator('.jp-aml-parallel-line')).toHaveCount(3);

    // Hovering a chart shows every run's value there.
    const box = (await loss.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await expect(loss.locator('.jp-aml-compare-cursor-row')).toHaveCount(3);

    // Dragging zooms every chart at once.
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, {
      steps: 5
    });
    await page.mouse.up();
    await expect(loss).toHaveAttribute('data-zoomed', 'true');
    await expect(accuracy).toHaveAttribute('data-zoomed', 'true');
    await loss.locator('.u-over').dblclick();
    await expect(accuracy).toHaveAttribute('data-zoomed', 'false');

    // The keyboard does the same: Tab onto the first chart, move the cursor
    // point by point (every chart follows), zoom in with + and back with 0.
    await page.mouse.move(0, 0);
    const accuracyPlot = accuracy.locator('.jp-aml-chart-plot');
    await tabOnto(
      view.locator('.jp-aml-compare-charts .jp-aml-log-y'),
      accuracyPlot
    );
    await expect(accuracyPlot).toHaveAttribute(
      'aria-label',
      'accuracy, last values: alpha 0.9, beta 0.8, gamma 0.95'
    );
    const cursorAt = (chart: typeof loss) =>
      chart.locator('.jp-aml-compare-cursor-x');
    await page.keyboard.press('ArrowRight');
    await expect(cursorAt(accuracy)).toHaveText('step 0');
    await expect(accuracy.locator('.jp-aml-compare-cursor-row')).toHaveCount(3);
    await expect(cursorAt(loss)).toHaveText('step 0');
    await page.keyboard.press('ArrowRight');
    await expect(cursorAt(accuracy)).toHaveText('step 1');
    await page.keyboard.press('End');
    await expect(cursorAt(accuracy)).toHaveText(`step ${STEPS - 1}`);
    await expect(cursorAt(loss)).toHaveText(`step ${STEPS - 1}`);
    await expect(accuracyPlot).toHaveAttribute('data-x-min', '0');
    await expect(accuracyPlot).toHaveAttribute('data-x-max', `${STEPS - 1}`);
    await page.keyboard.press('+');
    // Half the range, the cursor's point (the last) kept at the right edge.
    await expect(accuracyPlot).toHaveAttribute(
      'data-x-min',
      `${(STEPS - 1) / 2}`
    );
    await expect(accuracyPlot).toHaveAttribute('data-x-max', `${STEPS - 1}`);
    await expect(loss).toHaveAttribute('data-zoomed', 'true');
    await page.keyboard.press('0');
    await expect(accuracyPlot).toHaveAttribute('data-x-min', '0');
    await expect(accuracy).toHaveAttribute('data-zoomed', 'false');
    await expect(loss).toHaveAttribute('data-zoomed', 'false');

    // The legend hides a run in every chart; × removes it, and colours stay.
    const chip = (name: string) =>
      view.locator('.jp-aml-compare-chip', { hasText: name });
    const swatch = (name: string) =>
      chip(name)
        .locator('.jp-aml-run-swatch')
        .evaluate(e => e.style.background);
    const alphaColor = await swatch('alpha');
    const gammaColor = await swatch('gamma');
    await chip('gamma').locator('.jp-aml-compare-chip-toggle').click();
    await expect(loss).toHaveAttribute('data-series-count', '2');
    await expect(accuracy).toHaveAttribute('data-series-count', '2');
    await chip('gamma').locator('.jp-aml-compare-chip-toggle').click();
    await expect(loss).toHaveAttribute('data-series-count', '3');
    await chip('beta')
      .getByRole('button', { name: /Remove/ })
      .click();
    await expect(view).toHaveAttribute('data-runs', '2');
    await expect(loss).toHaveAttribute('data-series-count', '2');
    expect(await swatch('alpha')).toBe(alphaColor);
    expect(await swatch('gamma')).toBe(gammaColor);
    await page.evaluate(
      async runs =>
        window.jupyterapp.commands.execute('jupyterlab-aml:add-to-comparison', {
          runs
        }),
      [refs[1]]
    );
    await expect(view).toHaveAttribute('data-runs', '3');
    await expect(loss).toHaveAttribute('data-series-count', '3');

    // A record of what the user sees, kept as artifacts, not compared: tall
    // enough for the charts, the table and the parallel coordinates at once.
    await page.setViewportSize({ width: 1400, height: 1800 });
    await expect(loss).toHaveAttribute('data-series-count', '3');
    const shoot = async (name: string) => {
      const path = testInfo.outputPath(`${name}.png`);
      await view.screenshot({ path });
      await testInfo.attach(name, { path, contentType: 'image/png' });
    };
    const hover = async () => {
      const plot = (await loss.locator('.u-over').boundingBox())!;
      await page.mouse.move(
        plot.x + plot.width * 0.7,
        plot.y + plot.height / 2 + 5
      );
      await page.mouse.move(
        plot.x + plot.width * 0.7,
        plot.y + plot.height / 2
      );
      await expect(loss.locator('.jp-aml-compare-cursor-row')).toHaveCount(3);
    };
    await hover();
    await shoot('compare-light');
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('apputils:change-theme', {
        theme: 'JupyterLab Dark'
      });
    });
    await expect(page.locator('body')).toHaveAttribute(
      'data-jp-theme-name',
      'JupyterLab Dark'
    );
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    // Charts are built again with the new theme's colours.
    await expect(loss).toHaveAttribute('data-theme', 'JupyterLab Dark');
    await expect(accuracy).toHaveAttribute('data-theme', 'JupyterLab Dark');
    await hover();
    await shoot('compare-dark');

    // The layout restorer reopens the comparison with its runs.
    // (Galata's own wait expects a Launcher tab, which the restored layout lacks.)
    await page.reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    const restored = page.locator('.jp-aml-compare');
    await expect(restored).toHaveAttribute('data-runs', '3', {
      timeout: 30 * 1000
    });
    await expect(
      restored.locator('.jp-aml-compare-chart[data-key="loss"]')
    ).toHaveAttribute('data-series-count', '3');

    // Leave the saved layout as other tests expect it: no comparison open.
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('application:close-all')
    );
    await expect(restored).toHaveCount(0);
  });

  test('updates a RUNNING run live as points are logged', async ({ page }) => {
    await waitForLocal(page);
    const experiment = await mlflow(page, 'experiments/create', {
      name: `compare-live-${Math.random().toString(36).slice(2, 8)}`
    });
    const t0 = Date.now();
    const created = await mlflow(page, 'runs/create', {
      experiment_id: experiment.experiment_id,
      run_name: 'running',
      start_time: t0
    });
    const runId = created.run.info.run_id;
    await mlflow(page, 'runs/log-batch', {
      run_id: runId,
      metrics: lossPoints([0, 1, 2, 3, 4], t0, s => 1 / (s + 1))
    });
    await page.evaluate(
      async runs =>
        window.jupyterapp.commands.execute('jupyterlab-aml:compare', { runs }),
      [{ workspace: 'local', run_id: runId }]
    );
    const view = page.locator('.jp-aml-compare');
    const loss = view.locator('.jp-aml-compare-chart[data-key="loss"]');
    await expect(loss).toHaveAttribute('data-points', '5');
    await expect(view.locator('.jp-aml-compare-chip-status')).toHaveText(
      'RUNNING'
    );

    // Logged while the comparison is open: pushed over api/live, no reload.
    await mlflow(page, 'runs/log-batch', {
      run_id: runId,
      metrics: lossPoints([5, 6, 7], t0, s => 1 / (s + 1))
    });
    await expect(loss).toHaveAttribute('data-points', '8');
    const last = view.locator(
      'tr[data-key="loss"][data-stat="last"] td.jp-aml-diff-cell'
    );
    await expect(last).toHaveText('0.125');
    await mlflow(page, 'runs/update', {
      run_id: runId,
      status: 'FINISHED',
      end_time: Date.now()
    });
    await expect(view.locator('.jp-aml-compare-chip-status')).toHaveText(
      'FINISHED'
    );
    await page.evaluate(() =>
      window.jupyterapp.commands.execute('application:close-all')
    );
  });
});
