import { expect, test } from '@jupyterlab/galata';

const SIDEBAR_ID = 'jp-aml-sidebar';

test.describe('Experiment tracking sidebar', () => {
  // Galata's layout-state mock routes every URL matching /api/workspaces,
  // ours (`aml/api/workspaces`) included; let JupyterLab use the real API.
  test.use({ mockState: false });

  test('shows the local workspace becoming ready with its Default experiment', async ({
    page
  }, testInfo) => {
    // The tab is in the left area as soon as the extension loads.
    const tab = page.locator(`.jp-SideBar [data-id="${SIDEBAR_ID}"]`);
    await expect(tab).toHaveCount(1);

    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('jupyterlab-aml:open-sidebar');
    });
    const sidebar = page.locator(`#${SIDEBAR_ID}`);
    await expect(sidebar).toBeVisible();
    expect(await page.sidebar.isTabOpen(SIDEBAR_ID)).toBe(true);

    const local = sidebar.locator('.jp-aml-workspace[data-name="local"]');
    await expect(local).toHaveCount(1);
    await expect(local).toHaveAttribute('data-kind', 'local');
    await expect(local).toHaveAttribute('data-active', 'true');

    // The embedded MLflow server starts in the background after JupyterLab.
    await expect(local).toHaveAttribute('data-state', 'ready', {
      timeout: 60 * 1000
    });

    // The experiment picker of the runs browser lists the active workspace's experiments.
    const experiments = sidebar.locator('.jp-aml-runs-experiment-list');
    await expect(experiments).toHaveAttribute('data-workspace', 'local');
    await expect(experiments).toHaveAttribute('data-count', /^[1-9]\d*$/);
    await expect(
      experiments.locator('.jp-aml-experiment-name', { hasText: /^Default$/ })
    ).toHaveCount(1);
    await expect(sidebar.locator('.jp-aml-error:visible')).toHaveCount(0);

    // A record of what the user sees, kept as an artifact, not compared.
    const screenshot = testInfo.outputPath('sidebar.png');
    await sidebar.screenshot({ path: screenshot });
    await testInfo.attach('sidebar', {
      path: screenshot,
      contentType: 'image/png'
    });
    const whole = testInfo.outputPath('lab-with-sidebar.png');
    await page.screenshot({ path: whole });
    await testInfo.attach('lab-with-sidebar', {
      path: whole,
      contentType: 'image/png'
    });
  });
});
