import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  CommandToolbarButton,
  ICommandPalette,
  MainAreaWidget
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { find } from '@lumino/algorithm';
import { Signal } from '@lumino/signaling';

import { AmlClient } from './api';
import { comparePlugin } from './compare/comparePlugin';
import { amlIcon } from './icons';
import { KernelRunModel } from './kernelRunModel';
import { livePlugin } from './livePlugin';
import { IUiContext, addMlflowUiCommand } from './mlflowUiCommand';
import { WorkspacesModel } from './model';
import { MetricSummaryCache } from './metricSummary';
import { RunDetailModel } from './runDetailModel';
import { IChartOptions } from './chart/series';
import { RunsModel } from './runsModel';
import {
  applyChartChanges,
  chartChanges,
  loadSettings,
  SETTINGS_PLUGIN_ID
} from './settings';
import { SignInModel } from './signIn';
import { IAmlClient, IAmlLive, IRun } from './tokens';
import { addWorkspaceCommands } from './workspaceCommands';
import { chartPanelId, createChartPanel } from './widgets/chartPanel';
import { ChartView } from './widgets/chartView';
import { LiveSection } from './widgets/liveSection';
import { revealCell } from './widgets/revealCell';
import { RunDetail } from './widgets/runDetail';
import { RunsSection } from './widgets/runsSection';
import { AmlSidebar } from './widgets/sidebar';
import { WorkspacesSection } from './widgets/workspacesSection';

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
  /** Registered by the compare view, which may be absent. */
  export const compare = 'jupyterlab-aml:compare';
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
  id: SETTINGS_PLUGIN_ID,
  description: 'Adds the experiment tracking sidebar.',
  autoStart: true,
  requires: [IAmlClient, IAmlLive, INotebookTracker],
  optional: [ILayoutRestorer, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    client: IAmlClient,
    liveUpdates: IAmlLive,
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
    // Live charts of the notebook in focus: pushed over the page's websocket
    // (polled over REST only while that socket is down).
    const { client: live, pollInterval } = liveUpdates;
    const liveModel = new KernelRunModel({
      client,
      live,
      tracker,
      pollInterval
    });
    const liveSection = new LiveSection({ model: liveModel });
    // The views of every open chart group, which the chart settings apply to.
    const chartViews = new Set<ChartView>([liveSection.view]);
    // The runs browser of the active workspace.
    let runsSection: RunsSection | null = null;
    const runs = new RunsModel({
      client,
      autoStart: false,
      standby: () => (runsSection?.isVisible ? 'when-hidden' : true)
    });
    // "Compare (n)" hands the selection to the compare view, when it is there.
    const compareChanged = new Signal<unknown, void>(app.commands);
    app.commands.commandChanged.connect((_, change) => {
      if (change.id === CommandIDs.compare || change.type === 'many-changed') {
        compareChanged.emit();
      }
    });
    runsSection = new RunsSection({
      workspaces: model,
      runs,
      table: {
        compare: {
          isAvailable: () => app.commands.hasCommand(CommandIDs.compare),
          execute: selected =>
            void app.commands.execute(CommandIDs.compare, { runs: selected }),
          changed: compareChanged
        }
      }
    });
    const signIns = new SignInModel({ client, workspaces: model });
    const category = 'Experiment Tracking';
    const workspacesSection = new WorkspacesSection({
      model,
      signIns,
      actions: addWorkspaceCommands(app, { model, signIns, palette, category })
    });
    sidebar = new AmlSidebar({
      model,
      sections: [workspacesSection, liveSection, runsSection]
    });
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
          summaryCache,
          live,
          pollInterval
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
      widget.toolbar.addItem(
        'open-mlflow-ui',
        new CommandToolbarButton({
          commands: app.commands,
          id: CommandIDs.openMlflowUi,
          args: {
            workspace,
            run_id: run.run_id,
            experiment_id: run.experiment_id
          }
        })
      );
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

    app.commands.addCommand(CommandIDs.openRun, {
      label: args =>
        args.run_id
          ? `Open Run ${String(args.run_id).slice(0, 8)}`
          : 'Open Run',
      caption: 'Open a run (args: workspace, run_id) in a main-area tab',
      isEnabled: args => typeof args.run_id === 'string',
      execute: async args => {
        const workspace = String(args.workspace ?? runs.workspace ?? 'local');
        const run = await client.getRun(workspace, String(args.run_id));
        openRun(workspace, run);
      }
    });
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
        const panel = createChartPanel({
          model: liveModel,
          key,
          view: liveSection.view.toJSON()
        });
        chartViews.add(panel.content.view);
        panel.disposed.connect(() => chartViews.delete(panel.content.view));
        app.shell.add(panel, 'main', { mode: 'split-right' });
      }
    });
    addMlflowUiCommand(app, {
      id: CommandIDs.openMlflowUi,
      workspace: name => model.workspaces.find(ws => ws.name === name) ?? null,
      context: () => Private.uiContext(model, runs, liveModel)
    });
    // Its label and enabled state follow the selection and the live run.
    const uiChanged = () =>
      app.commands.notifyCommandChanged(CommandIDs.openMlflowUi);
    runs.selection.changed.connect(uiChanged);
    model.stateChanged.connect(uiChanged);
    liveModel.changed.connect((_, change) => change.run && uiChanged());
    for (const command of [
      CommandIDs.openSidebar,
      CommandIDs.refresh,
      CommandIDs.openMlflowUi
    ]) {
      palette?.addItem({ command, category });
    }

    // Settings come first so that the first request already honours them.
    let chartSettings: IChartOptions | null = null;
    void loadSettings(settingRegistry, SETTINGS_PLUGIN_ID, settings => {
      model.pollInterval = settings.pollInterval * 1000;
      runs.pollInterval = settings.pollInterval * 1000;
      model.defaultWorkspace = settings.defaultWorkspace;
      liveModel.maxPoints = settings.chartMaxPoints;
      // Open charts take the defaults that changed; new ones start from them.
      const changes = chartChanges(chartSettings, settings.chart);
      chartSettings = settings.chart;
      chartViews.forEach(view => applyChartChanges(view, changes));
    }).finally(() => {
      void model.start();
      void runs.start();
    });
  }
};

export default [clientPlugin, livePlugin, sidebarPlugin, comparePlugin];

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * What "Open in MLflow UI" opens without arguments: the one run selected
   * in the runs table, else the live run, else the active workspace.
   */
  export function uiContext(
    model: WorkspacesModel,
    runs: RunsModel,
    live: KernelRunModel
  ): IUiContext {
    const find = (name: string | null) =>
      model.workspaces.find(ws => ws.name === name) ?? null;
    const selected = runs.selection.ids;
    if (selected.size === 1 && runs.workspace) {
      const [id] = selected;
      const run = runs.runs[runs.indexOf(id)];
      if (run) {
        return { workspace: find(runs.workspace), run };
      }
    }
    if (live.run && live.workspace) {
      return { workspace: find(live.workspace), run: live.run };
    }
    return { workspace: find(model.active), run: null };
  }
}
