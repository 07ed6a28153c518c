import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, IFrame, MainAreaWidget } from '@jupyterlab/apputils';
import { URLExt } from '@jupyterlab/coreutils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { find } from '@lumino/algorithm';

import { AmlClient } from './api';
import { comparePlugin } from './compare/comparePlugin';
import { amlIcon } from './icons';
import { KernelRunModel } from './kernelRunModel';
import { LiveClient } from './liveClient';
import { WorkspacesModel } from './model';
import { MetricSummaryCache, RunDetailModel } from './runDetailModel';
import { RunsModel } from './runsModel';
import { IAmlClient, IRun } from './tokens';
import { chartPanelId, createChartPanel } from './widgets/chartPanel';
import { LiveSection } from './widgets/liveSection';
import { revealCell } from './widgets/revealCell';
import { RunDetail } from './widgets/runDetail';
import { RunsSection } from './widgets/runsSection';
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
  export const expandChart = 'jupyterlab-aml:expand-chart';
  export const openRun = 'jupyterlab-aml:open-run';
  export const openMlflowUi = 'jupyterlab-aml:open-mlflow-ui';
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
  requires: [IAmlClient, INotebookTracker],
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    client: IAmlClient,
    tracker: INotebookTracker,
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
    // Live charts of the notebook in focus: pushed over one websocket, never polled.
    const live = new LiveClient({
      serverSettings: app.serviceManager.serverSettings
    });
    const liveModel = new KernelRunModel({ client, live, tracker });
    const liveSection = new LiveSection({ model: liveModel });
    // The runs browser of the active workspace.
    let runsSection: RunsSection | null = null;
    const runs = new RunsModel({
      client,
      autoStart: false,
      standby: () => (runsSection?.isVisible ? 'when-hidden' : true)
    });
    runsSection = new RunsSection({ workspaces: model, runs });
    sidebar = new AmlSidebar({ model, sections: [liveSection, runsSection] });
    app.shell.add(sidebar, 'left', { rank: 650 });

    const summaryCache = new MetricSummaryCache();
    const openRun = (workspace: string, run: IRun) => {
      const id = `jp-aml-run-${workspace}-${run.run_id}`;
      if (find(app.shell.widgets('main'), w => w.id === id)) {
        app.shell.activateById(id);
        return;
      }
      const content = new RunDetail({
        model: new RunDetailModel({
          client,
          workspace,
          runId: run.run_id,
          run,
          summaryCache
        }),
        openNotebook: async (path: string, cellId?: string | null) => {
          const panel = await app.commands.execute('docmanager:open', { path });
          if (cellId && panel) {
            await revealCell(panel, cellId);
          }
        }
      });
      const widget = new MainAreaWidget({ content });
      widget.id = id;
      widget.title.icon = amlIcon;
      app.shell.add(widget, 'main');
    };
    runsSection.runActivated.connect((_, run) => {
      if (runs.workspace) {
        openRun(runs.workspace, run);
      }
    });
    liveSection.expandRequested.connect(
      (_, key) => void app.commands.execute(CommandIDs.expandChart, { key })
    );
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
    app.commands.addCommand(CommandIDs.expandChart, {
      label: args => `Expand Live Chart${args.key ? ` of ${args.key}` : ''}`,
      caption: 'Open a live metric chart in a main-area tab',
      isEnabled: args => typeof args.key === 'string',
      execute: args => {
        const key = String(args.key);
        const id = chartPanelId(key);
        if (find(app.shell.widgets('main'), w => w.id === id)) {
          app.shell.activateById(id);
          return;
        }
        app.shell.add(
          createChartPanel({
            model: liveModel,
            key,
            view: liveSection.view.toJSON()
          }),
          'main',
          { mode: 'split-right' }
        );
      }
    });
    app.commands.addCommand(CommandIDs.openMlflowUi, {
      label: 'Open in MLflow UI',
      caption:
        'Open the MLflow UI of the live run (or the active workspace) in a tab',
      execute: () => {
        const workspace = liveModel.workspace ?? model.active;
        if (!workspace) {
          return;
        }
        const run = liveModel.run;
        const route = run
          ? `#/experiments/${run.experiment_id}/runs/${run.run_id}`
          : '#/experiments';
        const base = app.serviceManager.serverSettings.baseUrl;
        const frame = new IFrame({
          // The embedded store's UI is MLflow's own bundled app, served same-origin.
          sandbox: [
            'allow-scripts',
            'allow-same-origin',
            'allow-forms',
            'allow-popups'
          ]
        });
        frame.url =
          URLExt.join(
            base,
            'aml',
            'mlflow',
            encodeURIComponent(workspace),
            '/'
          ) + route;
        const widget = new MainAreaWidget({ content: frame });
        widget.title.label = `MLflow · ${workspace}`;
        widget.title.icon = amlIcon;
        app.shell.add(widget, 'main');
      }
    });
    const category = 'Experiment Tracking';
    for (const command of [
      CommandIDs.openSidebar,
      CommandIDs.refresh,
      CommandIDs.openMlflowUi
    ]) {
      palette?.addItem({ command, category });
    }

    // Settings come first so that the first request already honours them.
    void Private.loadSettings(settingRegistry, model, runs).finally(() => {
      void model.start();
      void runs.start();
    });
  }
};

export default [clientPlugin, sidebarPlugin, comparePlugin];

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Apply the settings to the model now and whenever they change.
   */
  export async function loadSettings(
    registry: ISettingRegistry | null,
    model: WorkspacesModel,
    runs: RunsModel
  ): Promise<void> {
    if (!registry) {
      return;
    }
    try {
      const settings = await registry.load(sidebarPlugin.id);
      const apply = () => {
        const seconds = settings.get('pollInterval').composite as number;
        model.pollInterval = Math.max(1, seconds) * 1000;
        runs.pollInterval = Math.max(1, seconds) * 1000;
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
