import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { LiveClient } from './liveClient';
import { PollInterval } from './pollInterval';
import { DEFAULT_SETTINGS, loadSettings, SETTINGS_PLUGIN_ID } from './settings';
import { IAmlLive } from './tokens';

/**
 * The page's live updates: one `api/live` socket, shared by the sidebar's
 * views and the compare view, and the `pollInterval` setting their REST
 * fallbacks poll at while it is down.
 */
export const livePlugin: JupyterFrontEndPlugin<IAmlLive> = {
  id: 'jupyterlab-aml:live',
  description:
    'Provides the live-updates websocket shared by the views of runs.',
  autoStart: true,
  provides: IAmlLive,
  optional: [ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    settingRegistry: ISettingRegistry | null
  ): IAmlLive => {
    const pollInterval = new PollInterval(DEFAULT_SETTINGS.pollInterval * 1000);
    void loadSettings(settingRegistry, SETTINGS_PLUGIN_ID, settings => {
      pollInterval.value = settings.pollInterval * 1000;
    });
    return {
      client: new LiveClient({
        serverSettings: app.serviceManager.serverSettings
      }),
      pollInterval
    };
  }
};
