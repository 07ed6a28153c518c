import { expect, test } from '@jupyterlab/galata';

const SIDEBAR_ID = 'jp-aml-sidebar';

test.describe('Workspaces', () => {
  // Galata routes every URL matching /api/workspaces, ours included.
  test.use({ mockState: false });

  test('adds an MLflow server through the dialog, then removes it', async ({
    page,
    baseURL
  }, testInfo) => {
    await page.evaluate(async () => {
      await window.jupyterapp.commands.execute('jupyterlab-aml:open-sidebar');
    });
    const sidebar = page.locator(`#${SIDEBAR_ID}`);
    const local = sidebar.locator('.jp-aml-workspace[data-name="local"]');
    await expect(local).toHaveAttribute('data-state', 'ready', {
      timeout: 60 * 1000
    });
    // A real MLflow REST server to add: the embedded store, through this
    // Jupyter's passthrough (Galata's server has no token to send).
    const uri = `${baseURL}/aml/mlflow/local`;
    await expect(local.locator('[data-action="remove"]')).toHaveCount(0);

    await sidebar.locator('.jp-aml-workspace-add').click();
    const dialog = page.locator('.jp-Dialog.jp-aml-workspace-dialog');
    await expect(dialog).toBeVisible();
    await dialog.locator('[name="name"]').fill('team');
    await dialog.locator('[name="uri"]').fill('ftp://mlflow.example.com');
    await dialog.locator('.jp-mod-accept').click();

    // The server's 400 shows in the dialog, which keeps what was typed.
    const error = dialog.locator('.jp-aml-form-error');
    await expect(error).toBeVisible();
    await expect(error).toContainText(
      "uri must be an http(s) URL of an MLflow server, got 'ftp://mlflow.example.com'"
    );
    await expect(dialog.locator('[name="name"]')).toHaveValue('team');
    const shot = testInfo.outputPath('add-workspace-error.png');
    await dialog.locator('.jp-Dialog-content').screenshot({ path: shot });
    await testInfo.attach('add-workspace-error', {
      path: shot,
      contentType: 'image/png'
    });

    await dialog.locator('[name="uri"]').fill(uri);
    await expect(error).toBeHidden();
    await dialog.locator('.jp-mod-accept').click();
    await expect(dialog).toHaveCount(0);

    const team = sidebar.locator('.jp-aml-workspace[data-name="team"]');
    await expect(team).toHaveAttribute('data-kind', 'mlflow');
    await expect(team).toHaveAttribute('data-state', 'ready', {
      timeout: 30 * 1000
    });
    await expect(sidebar.locator('.jp-aml-workspace-picker option')).toHaveText(
      ['local', 'team']
    );

    // Remove it, after a confirmation.
    await team.locator('[data-action="remove"]').click();
    const confirm = page.locator('.jp-Dialog');
    await expect(confirm).toContainText('Remove workspace "team"?');
    await confirm.locator('.jp-mod-accept').click();
    await expect(team).toHaveCount(0);
    await expect(sidebar.locator('.jp-aml-workspace')).toHaveCount(1);
  });
});
