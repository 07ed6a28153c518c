import { expect, test } from '@jupyterlab/galata';

test.describe('MLflow UI through the passthrough', () => {
  test.use({ mockState: false });

  test('the embedded store UI loads and lists its experiments', async ({
    page,
    baseURL
  }, testInfo) => {
    // Wait for the embedded store, as a user would by looking at the sidebar.
    await expect
      .poll(
        async () =>
          page.evaluate(async () => {
            const settings = window.jupyterapp.serviceManager.serverSettings;
            const response = await fetch(
              `${settings.baseUrl}aml/api/workspaces`,
              { credentials: 'same-origin' }
            );
            const body = await response.json();
            return body.workspaces[0].state;
          }),
        { timeout: 60 * 1000 }
      )
      .toBe('ready');

    // The MLflow UI's own XHRs (some are POSTs) go through the passthrough with the
    // Jupyter session cookie and no XSRF header: same-origin requests are allowed.
    // A plain tab (Galata's page.goto waits for JupyterLab itself), same session cookie.
    const ui = await page.context().newPage();
    const failures: string[] = [];
    ui.on('response', response => {
      // MLflow's UI probes users/current, which a server without its auth app answers 404
      // (the same when it is reached directly).
      const probe = response.url().endsWith('/mlflow/users/current');
      if (
        response.url().includes('/aml/mlflow/') &&
        response.status() >= 400 &&
        !probe
      ) {
        failures.push(`${response.status()} ${response.url()}`);
      }
    });
    await ui.goto(`${baseURL}/aml/mlflow/local/#/experiments`);
    await expect(ui.getByText('Default', { exact: true }).first()).toBeVisible({
      timeout: 60 * 1000
    });
    expect(failures).toEqual([]);
    await ui.screenshot({ path: testInfo.outputPath('mlflow-ui.png') });
  });
});
