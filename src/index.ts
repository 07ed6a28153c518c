import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { AmlClient } from './api';
import { WorkspacesModel } from './model';
import { IAmlClient } from './tokens';
import { AmlSidebar } from './widgets/sidebar';

export * from './tokens';
export { AmlClient } from './api';
export { WorkspacesModel } from './model';

/**
 * The command ids of the extension.
 */
export namespace CommandIDs {
  export const openSidebar = 'jupyterlab-aml:open-sidebar';
  export const refresh = 'jupyterlab-aml:refresh';
}

/**
 * The REST client, built on the application's server settings.
 */
const clientPlugin: JupyterFrontEndPlugin<IAmlClient> = {
  id: 'jupyterlab-aml:client',
  description: 'Provides the client of the jupyterlab_aml REST API.',
  autoStart: true,
  provides: IAmlClient,
  activate: (app: JupyterFrontEnd): IAmlClient =>
    new AmlClient({ serverSettings: app.serviceManager.serverSettings })
};

/**
 * The experiment tracking sidebar, its commands and its settings.
 */
const sidebarPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-aml:plugin',
  description: 'Adds the experiment tracking sidebar.',
  autoStart: true,
  requires: [IAmlClient],
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    client: IAmlClient,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ): void => {
    let sidebar: AmlSidebar | null = null;
    const model: WorkspacesModel = new WorkspacesModel({
      client,
      autoStart: false,
      // Poll while the sidebar is on screen and the page is visible; the first
      // load always runs, so that the default workspace applies at start-up.
      standby: () =>
        sidebar?.isVisible || !model.loaded ? 'when-hidden' : true
    });
    sidebar = new AmlSidebar({ model });
    app.shell.add(sidebar, 'left', { rank: 650 });
    restorer?.add(sidebar, 'jupyterlab-aml-sidebar');

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Open Experiment Tracking',
      caption: 'Show the experiment tracking sidebar',
      execute: () => app.shell.activateById(sidebar!.id)
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh Experiment Tracking',
      caption: 'Reload workspaces and experiments now',
      execute: () => model.refresh()
    });
    const category = 'Experiment Tracking';
    palette?.addItem({ command: CommandIDs.openSidebar, category });
    palette?.addItem({ command: CommandIDs.refresh, category });

    // Settings come first so that the first request already honours them.
    void Private.loadSettings(settingRegistry, model).finally(() =>
      model.start()
    );
  }
};

export default [clientPlugin, sidebarPlugin];

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Apply the settings to the model now and whenever they change.
   */
  export async function loadSettings(
    registry: ISettingRegistry | null,
    model: WorkspacesModel
  ): Promise<void> {
    if (!registry) {
      return;
    }
    try {
      const settings = await registry.load(sidebarPlugin.id);
      const apply = () => {
        const seconds = settings.get('pollInterval').composite as number;
        model.pollInterval = Math.max(1, seconds) * 1000;
        model.defaultWorkspace = settings.get('defaultWorkspace')
          .composite as string;
      };
      apply();
      settings.changed.connect(apply);
    } catch (reason) {
      console.error('jupyterlab-aml: cannot load settings', reason);
    }
  }
}
