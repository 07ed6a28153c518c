import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { shoot, switchToDarkTheme } from './helpers';

const SIDEBAR_ID = 'jp-aml-sidebar';

/**
 * Logs three runs to a new experiment; the last has an image, a text file and
 * a CSV table as artifacts (the image: 48×32 px of colour bands). Real logging, through the kernel's own MLflow.
 */
/**
 * A 48×32 PNG of colour bands.
 */
const IMAGE_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAADAAAAAgCAIAAADbtmxLAAAArklEQVR42s3CIQ9BAQCF0ftLFEVRFEURKArBbDYTKK8QzGYzgfIK2zWbzQTKKwSz2UyQJEmSJEmSJIm/8Z0dxfxDVdxfVCX8QVXSb1Sl/EJV2k9UZfxAVdZ3VOV9Q1XBV1QVfUFV2WdUVX1EVd17VDW9RVXgCFUtr1DV8QJVPc9QNfAEVSOHqAo9RNXYfVRN3UXV3G1ULR2gau0GqiLXULVxBVU7l1B1cAFVJ+dQ/8k3sYj7tc1fAAAAAElFTkSuQmCC';

const SEEDING_CELL = [
  'import base64, mlflow, tempfile, os',
  'mlflow.set_experiment("browser")',
  'for i in range(3):',
  '    with mlflow.start_run(run_name=f"trial-{i}"):',
  '        mlflow.log_param("lr", 0.1 / (i + 1))',
  '        for step in range(5):',
  '            mlflow.log_metric("loss", 1 / (step + 1 + i), step=step)',
  '        if i == 2:',
  '            mlflow.log_text("epoch,loss\\n1,0.5\\n2,0.25\\n", "tables/loss.csv")',
  '            mlflow.log_text("trained on 60000 images\\n", "notes.txt")',
  '            png = os.path.join(tempfile.mkdtemp(), "pixel.png")',
  '            with open(png, "wb") as f:',
  `                f.write(base64.b64decode("${IMAGE_PNG_BASE64}"))`,
  '            mlflow.log_artifact(png, "images")'
].join('\n');

/**
 * Run `source` in a new notebook and wait for it to finish.
 */
async function runInNotebook(
  page: IJupyterLabPageFixture,
  source: string
): Promise<void> {
  await page.notebook.createNew();
  await page.evaluate(async code => {
    const panel = window.jupyterapp.shell.currentWidget as any;
    await Promise.all([panel.context.ready, panel.sessionContext.ready]);
    // Set through the model: typing would auto-indent the loops.
    panel.content.activeCell.model.sharedModel.setSource(code);
    await window.jupyterapp.commands.execute('notebook:run-cell');
  }, source);
  // The cell's output area shows an error if the seeding failed.
  await expect(
    page.locator('.jp-OutputArea-output[data-mime-type*="error"]')
  ).toHaveCount(0);
}

test.describe('Runs browser and run detail', () => {
  // Galata routes every URL matching /api/workspaces and /api/kernels/<id>,
  // ours included; let JupyterLab use the real APIs.
  test.use({ mockState: false, kernels: null });

  test('selects runs, opens one with its artifacts, in light and dark themes', async ({
    page
  }, testInfo) => {
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('jupyterlab-aml:open-sidebar');
    });
    const sidebar = page.locator(`#${SIDEBAR_ID}`);
    await expect(
      sidebar.locator('.jp-aml-workspace[data-name="local"]')
    ).toHaveAttribute('data-state', 'ready', { timeout: 60 * 1000 });

    await runInNotebook(page, SEEDING_CELL);

    // Pick the new experiment in the runs browser's picker (a refresh lists it).
    await sidebar.locator('.jp-aml-refresh').click();
    const picker = sidebar.locator('.jp-aml-runs-experiment-list');
    const browser = picker.locator('.jp-aml-runs-experiment', {
      has: page.locator('.jp-aml-experiment-name', { hasText: /^browser$/ })
    });
    await expect(browser).toHaveCount(1);
    // The picker redraws on each change: click, then look again.
    await browser.locator('input').click();
    await expect(browser.locator('input')).toBeChecked();
    // Other specs may have left experiments picked: leave only "browser".
    const others = picker.locator(
      '.jp-aml-runs-experiment:not([data-name="browser"]) input:checked'
    );
    while ((await others.count()) > 0) {
      await others.first().click();
    }
    // With more than one experiment the picker has a filter box.
    const filter = sidebar.locator('.jp-aml-runs-experiment-filter');
    await expect(filter).toBeVisible();
    await filter.fill('brow');
    await expect(picker.locator('.jp-aml-runs-experiment:visible')).toHaveCount(
      1
    );
    await filter.fill('');

    const grid = sidebar.locator('.jp-aml-runs-table');
    await expect(grid).toHaveAttribute('data-total-loaded', '3', {
      timeout: 30 * 1000
    });
    const row = (name: string) =>
      grid.locator('.jp-aml-runs-row', {
        has: page.locator('.jp-aml-runs-cell-name', { hasText: name })
      });
    // Newest first: trial-2, trial-1, trial-0.
    await expect(row('trial-2')).toHaveAttribute('data-workspace', 'local');

    // Click, shift-click (range), ctrl-click (toggle).
    await row('trial-2').locator('.jp-aml-runs-cell-name').click();
    await expect(grid).toHaveAttribute('data-selected-count', '1');
    await row('trial-0')
      .locator('.jp-aml-runs-cell-name')
      .click({ modifiers: ['Shift'] });
    await expect(grid).toHaveAttribute('data-selected-count', '3');
    await row('trial-1')
      .locator('.jp-aml-runs-cell-name')
      .click({ modifiers: ['Control'] });
    await expect(grid).toHaveAttribute('data-selected-count', '2');
    await expect(row('trial-1')).toHaveAttribute('aria-selected', 'false');
    await expect(sidebar.locator('.jp-aml-runs-compare')).toHaveText(
      'Compare (2)'
    );
    await shoot(sidebar, testInfo, 'sidebar-runs-light');

    // Open the run with artifacts.
    await row('trial-2').locator('.jp-aml-runs-cell-name').dblclick();
    const detail = page.locator('.jp-aml-run-detail');
    await expect(detail).toBeVisible();
    await expect(detail.locator('.jp-aml-run-detail-title')).toContainText(
      'trial-2'
    );
    await expect(detail).toHaveAttribute('data-status', 'FINISHED');
    await expect(
      detail.locator('.jp-aml-run-params tr[data-key="lr"] td')
    ).toHaveText('0.03333333333333333');
    await expect(
      detail.locator('.jp-aml-run-metrics tr[data-key="loss"] td').nth(1)
    ).toContainText('@ 4'); // the minimum is at the last step

    await detail.locator('.jp-aml-run-artifacts > summary').click();
    const tree = detail.locator('.jp-aml-artifact-tree');
    await expect(tree.locator('[data-path="notes.txt"]')).toBeVisible();
    await tree.locator('[data-path="images"]').click();
    await tree.locator('[data-path="images/pixel.png"]').click();
    const preview = detail.locator('.jp-aml-artifact-preview');
    await expect(preview.locator('img.jp-aml-artifact-image')).toBeVisible();
    await expect
      .poll(() =>
        preview
          .locator('img.jp-aml-artifact-image')
          .evaluate(img => (img as HTMLImageElement).naturalWidth)
      )
      .toBe(48);
    await tree.locator('[data-path="tables"]').click();
    await tree.locator('[data-path="tables/loss.csv"]').click();
    await expect(preview.locator('.jp-aml-artifact-csv td')).toHaveText([
      '1',
      '0.5',
      '2',
      '0.25'
    ]);
    await tree.locator('[data-path="notes.txt"]').click();
    await expect(preview.locator('.jp-aml-artifact-text')).toHaveText(
      'trained on 60000 images\n'
    );
    await tree.locator('[data-path="images/pixel.png"]').click();
    await shoot(detail, testInfo, 'run-detail-light');

    await switchToDarkTheme(page);
    await expect(preview.locator('img.jp-aml-artifact-image')).toBeVisible();
    await shoot(detail, testInfo, 'run-detail-dark');
    await shoot(sidebar, testInfo, 'sidebar-runs-dark');
    await shoot(page.locator('#main'), testInfo, 'lab-runs-dark');

    // The open-run command opens a run by id (for other extensions and keyboard users).
    const trial0 = await row('trial-0').getAttribute('data-run-id');
    await page.evaluate(
      async runId =>
        await (window as any).jupyterapp.commands.execute(
          'jupyterlab-aml:open-run',
          { workspace: 'local', run_id: runId }
        ),
      trial0
    );
    await expect(page.locator(`#jp-aml-run-local-${trial0}`)).toBeVisible();
    await expect(
      page.locator(`#jp-aml-run-local-${trial0} .jp-aml-run-detail-title`)
    ).toContainText('trial-0');
  });
});
