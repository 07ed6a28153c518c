/**
 * Playwright configuration for the Galata UI tests.
 *
 * Debian's Chromium is used because Playwright cannot download browsers here;
 * video is off because it needs Playwright's own ffmpeg.
 */
const os = require('os');
const path = require('path');
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

// AML_GALATA_PORT lets two checkouts run their UI tests at once on one machine.
const port = process.env.AML_GALATA_PORT || '8888';
// Where the Jupyter server writes the Azure double's coordinates (see
// azure_for_galata.py) and azureml.spec.ts reads them; the server and the
// test workers inherit it from here.
process.env.AML_AZURE_DOUBLE_FILE =
  process.env.AML_AZURE_DOUBLE_FILE ||
  path.join(os.tmpdir(), `jupyterlab-aml-azure-double-${port}.json`);

module.exports = {
  ...baseConfig,
  // The embedded MLflow server starts in the background: allow for it.
  timeout: 120 * 1000,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL: `http://localhost:${port}`,
    video: 'off',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'jlpm start',
    url: `http://localhost:${port}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: !process.env.CI,
    // SIGTERM lets the extension stop its MLflow server and clean up its store.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 15 * 1000 }
  }
};
