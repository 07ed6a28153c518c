import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

import {
  azureDouble,
  IAzureDouble,
  signInOnVerificationPage,
  waitForAzureBackend
} from './azureDouble';
import { shoot, switchTheme } from './helpers';

const SIDEBAR_ID = 'jp-aml-sidebar';

/**
 * Open the sidebar once the extension has listed the workspaces.
 */
async function openSidebar(page: IJupyterLabPageFixture): Promise<Locator> {
  await page.evaluate(async () => {
    await window.jupyterapp.commands.execute('jupyterlab-aml:open-sidebar');
  });
  const sidebar = page.locator(`#${SIDEBAR_ID}`);
  await expect(
    sidebar.locator('.jp-aml-workspace[data-name="local"]')
  ).toHaveCount(1);
  return sidebar;
}

/**
 * Open the sidebar and add an Azure ML workspace through the "Add workspace"
 * dialog: device code credential, the double's tenant, and its ARM and
 * authority under Advanced. A device code credential waits for the user, so
 * the workspace shows as signed out with a Sign in button.
 */
async function addAzureWorkspace(
  page: IJupyterLabPageFixture,
  double: IAzureDouble,
  name: string,
  workspaceName: string
): Promise<{ sidebar: Locator; row: Locator }> {
  const sidebar = await openSidebar(page);
  await sidebar.locator('.jp-aml-workspace-add').click();
  const dialog = page.locator('.jp-Dialog.jp-aml-workspace-dialog');
  await expect(dialog).toBeVisible();
  await dialog.locator('select[name="kind"]').selectOption('azureml');
  await dialog.locator('[name="name"]').fill(name);
  await dialog.locator('[name="subscription_id"]').fill(double.subscription_id);
  await dialog.locator('[name="resource_group"]').fill(double.resource_group);
  await dialog.locator('[name="workspace_name"]').fill(workspaceName);
  await dialog.locator('select[name="cloud"]').selectOption(double.cloud);
  await dialog.locator('[name="tenant_id"]').fill(double.tenant_id);
  await dialog.locator('select[name="credential"]').selectOption('device_code');
  // The endpoints of a custom cloud are folded away under "Advanced".
  const armEndpoint = dialog.locator('[name="arm_endpoint"]');
  await expect(armEndpoint).toBeHidden();
  await dialog.getByText('Advanced: custom cloud endpoints').click();
  await armEndpoint.fill(double.arm_endpoint);
  await dialog.locator('[name="authority_host"]').fill(double.authority_host);
  await dialog.locator('.jp-mod-accept').click();
  await expect(dialog).toHaveCount(0);

  const row = sidebar.locator(`.jp-aml-workspace[data-name="${name}"]`);
  await expect(row).toHaveAttribute('data-kind', 'azureml');
  await expect(row).toHaveAttribute('data-state', 'signed_out', {
    timeout: 30 * 1000
  });
  await expect(row.locator('.jp-aml-badge-signed_out')).toHaveText(
    'Signed out'
  );
  await expect(row.locator('[data-action="sign-in"]')).toHaveText('Sign in');
  await expect(row.locator('.jp-aml-workspace-identity')).toHaveCount(0);
  return { sidebar, row };
}

/**
 * Click Sign in and read the device code the sidebar shows.
 */
async function startDeviceCodeSignIn(
  row: Locator,
  double: IAzureDouble
): Promise<{ userCode: string; link: Locator }> {
  await row.locator('[data-action="sign-in"]').click();
  const panel = row.locator('.jp-aml-sign-in[data-phase="device-code"]');
  await expect(panel).toBeVisible({ timeout: 30 * 1000 });
  const code = panel.locator('.jp-aml-sign-in-code');
  await expect(code).toHaveText(/^[A-Z0-9]{9}$/);
  const link = panel.locator('a.jp-aml-sign-in-link');
  const verificationUri = `${double.authority_host}/devicelogin`;
  await expect(link).toHaveAttribute('href', verificationUri);
  await expect(link).toHaveText(verificationUri);
  // While the code waits for the user there is no second Sign in button.
  await expect(row.locator('[data-action="sign-in"]')).toHaveCount(0);
  return { userCode: (await code.textContent()) ?? '', link };
}

test.describe('Azure ML workspaces', () => {
  // Galata routes every URL matching /api/workspaces, ours included; and the
  // double's https pages carry its own test CA, which Chromium does not know.
  test.use({ mockState: false, ignoreHTTPSErrors: true });

  // Whatever a test leaves (even on failure), the next spec finds `local`
  // alone and active.
  test.afterEach(async ({ request }) => {
    await request.put('aml/api/workspaces/active', { data: { name: 'local' } });
    for (const name of ['aml', 'aml-missing']) {
      await request.delete(`aml/api/workspaces/${name}`);
    }
  });

  test('signs in with a device code and shows who is signed in', async ({
    page,
    request
  }, testInfo) => {
    const double = azureDouble();
    const { sidebar, row } = await addAzureWorkspace(
      page,
      double,
      'aml',
      double.workspace_name
    );
    const { userCode, link } = await startDeviceCodeSignIn(row, double);
    await expect(row).toHaveAttribute('data-state', 'signed_out');
    await shoot(sidebar, testInfo, 'azureml-device-code-light');
    await switchTheme(page, 'JupyterLab Dark');
    await shoot(sidebar, testInfo, 'azureml-device-code-dark');
    await switchTheme(page, 'JupyterLab Light');

    await waitForAzureBackend(request, double);
    await signInOnVerificationPage(page, link, userCode);

    // The sign-in completes on its own: the workspace connects and is ready.
    await expect(row).toHaveAttribute('data-state', 'ready', {
      timeout: 60 * 1000
    });
    await expect(row.locator('.jp-aml-badge-ready')).toHaveText('Ready');
    await expect(row.locator('.jp-aml-workspace-identity')).toHaveText(
      /^Signed in as alice@contoso\.com · token renews in \d+ min$/
    );
    await expect(row.locator('.jp-aml-sign-in')).toHaveCount(0);
    await expect(row.locator('[data-action="sign-in"]')).toHaveCount(0);

    // Made active, the runs browser lists the experiments of the Azure ML
    // workspace (MLflow's Default one, through the double's AML front).
    await sidebar.locator('select.jp-aml-workspace-picker').selectOption('aml');
    await expect(row).toHaveAttribute('data-active', 'true');
    await expect(
      sidebar.locator('.jp-aml-workspace[data-name="local"]')
    ).toHaveAttribute('data-active', 'false');
    const experiments = sidebar.locator('.jp-aml-runs-experiment-list');
    await expect(experiments).toHaveAttribute('data-workspace', 'aml');
    await expect(
      experiments.locator('.jp-aml-experiment-name', { hasText: /^Default$/ })
    ).toHaveCount(1);

    await shoot(sidebar, testInfo, 'azureml-signed-in-light');
    await switchTheme(page, 'JupyterLab Dark');
    await shoot(sidebar, testInfo, 'azureml-signed-in-dark');
  });

  test('a workspace Azure does not know shows the error from ARM', async ({
    page
  }, testInfo) => {
    const double = azureDouble();
    const { sidebar, row } = await addAzureWorkspace(
      page,
      double,
      'aml-missing',
      'ws-nowhere'
    );
    // ARM is asked for the workspace only once someone is signed in.
    const { userCode, link } = await startDeviceCodeSignIn(row, double);
    await signInOnVerificationPage(page, link, userCode);

    await expect(row).toHaveAttribute('data-state', 'error', {
      timeout: 60 * 1000
    });
    await expect(row.locator('.jp-aml-badge-error')).toHaveText('Error');
    const detail = row.locator('.jp-aml-workspace-detail');
    await expect(detail).toHaveAttribute('role', 'alert');
    await expect(detail).toContainText('ws-nowhere');
    await expect(detail).toContainText('was not found');
    await expect(detail).toContainText('ResourceNotFound');
    // The sign-in itself worked: the coordinates are what is wrong.
    await expect(row.locator('.jp-aml-workspace-identity')).toContainText(
      'Signed in as alice@contoso.com'
    );
    await shoot(sidebar, testInfo, 'azureml-not-found-light');
  });
});
