/**
 * The loopback Azure that the Galata server runs (`azure_for_galata.py`):
 * its coordinates, and its device-code verification page used as a person
 * would use Microsoft's.
 */

import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, Locator } from '@playwright/test';
import * as fs from 'fs';

/**
 * What the server wrote to AML_AZURE_DOUBLE_FILE (set by playwright.config.js).
 */
export interface IAzureDouble {
  arm_endpoint: string;
  authority_host: string;
  tenant_id: string;
  /** The cloud whose tokens the double takes (its endpoints are its own). */
  cloud: string;
  subscription_id: string;
  resource_group: string;
  workspace_name: string;
  /** The real MLflow server behind the double's workspace. */
  mlflow_url: string;
}

/**
 * The double's coordinates.
 */
export function azureDouble(): IAzureDouble {
  const file = process.env.AML_AZURE_DOUBLE_FILE;
  if (!file) {
    throw new Error(
      'AML_AZURE_DOUBLE_FILE is not set (see playwright.config.js)'
    );
  }
  return JSON.parse(fs.readFileSync(file, 'utf-8')) as IAzureDouble;
}

/**
 * Wait for the MLflow server behind the double's workspace: the Galata server
 * starts it only once its own local store is ready, to stay out of the way of
 * the other specs.
 */
export async function waitForAzureBackend(
  request: APIRequestContext,
  double: IAzureDouble
): Promise<void> {
  await expect
    .poll(
      async () => {
        try {
          return (await request.get(`${double.mlflow_url}/health`)).status();
        } catch {
          return 0; // not listening yet
        }
      },
      { timeout: 90 * 1000, intervals: [500] }
    )
    .toBe(200);
}

/**
 * Follow the sidebar's verification link to the double's sign-in page, enter
 * `userCode` and submit it, as a user does at microsoft.com/devicelogin; the
 * page's account is alice@contoso.com.
 */
export async function signInOnVerificationPage(
  page: IJupyterLabPageFixture,
  link: Locator,
  userCode: string
): Promise<void> {
  const [verification] = await Promise.all([
    page.context().waitForEvent('page'),
    link.click()
  ]);
  await verification.waitForLoadState();
  await expect(verification.locator('h1')).toHaveText('Enter code');
  await verification.getByLabel('Code').fill(userCode);
  await verification.getByRole('button', { name: 'Next' }).click();
  await expect(verification.locator('#signed-in')).toContainText(
    'Signed in as alice@contoso.com'
  );
  await verification.close();
}
