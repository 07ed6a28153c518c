import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { UUID } from '@lumino/coreutils';

import { IAmlClient, IAmlLive } from '../tokens';
import { CompareModel } from './compareModel';
import { CompareWidget, createCompareTab } from './compareWidget';
import { IRunRef, parseRunRefs } from './runRef';

/**
 * The command ids of the comparison view.
 */
export namespace CompareCommandIDs {
  /** Open a new comparison of `args.runs` (`[{workspace, run_id}]`). */
  export const compare = 'jupyterlab-aml:compare';
  /** Add `args.runs`, or the run row right-clicked, to the current comparison. */
  export const addToComparison = 'jupyterlab-aml:add-to-comparison';
}

/**
 * The rows of the runs table a context menu acts on.
 */
export const RUN_ROW_SELECTOR =
  '.jp-aml-runs-table [data-run-id][data-workspace]';

/**
 * The comparison view: commands, the run rows' context menu, and layout
 * restoration (the state of a tab is its list of runs).
 */
export const comparePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-aml:compare',
  description:
    'Compares runs side by side: charts, diff table, parallel coordinates.',
  autoStart: true,
  requires: [IAmlClient, IAmlLive],
  optional: [ILayoutRestorer, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    client: IAmlClient,
    liveUpdates: IAmlLive,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null
  ): void => {
    const tracker = new WidgetTracker<MainAreaWidget<CompareWidget>>({
      namespace: 'jupyterlab-aml-compare'
    });
    // RUNNING runs are followed on the page's one live socket, which the
    // sidebar shares (and polled at the setting's pace while it is down).

    const open = (
      runs: IRunRef[],
      id?: string
    ): MainAreaWidget<CompareWidget> => {
      const model = new CompareModel({
        client,
        live: liveUpdates.client,
        pollInterval: liveUpdates.pollInterval
      });
      const widget = createCompareTab(
        model,
        id || `jp-aml-compare-${UUID.uuid4()}`
      );
      let saved = '';
      model.changed.connect(() => {
        // The restorer's state is the runs list: save it when that changes.
        const state = JSON.stringify(model.refs);
        if (state !== saved && tracker.has(widget)) {
          saved = state;
          void tracker.save(widget);
        }
      });
      void tracker.add(widget);
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      void model.add(runs);
      return widget;
    };

    app.commands.addCommand(CompareCommandIDs.compare, {
      label: args => {
        const count = parseRunRefs(args.runs).length;
        return count ? `Compare ${count} Runs` : 'Compare Runs';
      },
      caption:
        'Open runs side by side: charts, params and metrics, parallel coordinates',
      execute: args =>
        open(
          parseRunRefs(args.runs),
          typeof args.id === 'string' ? args.id : undefined
        )
    });

    app.commands.addCommand(CompareCommandIDs.addToComparison, {
      label: 'Add to Comparison',
      caption: 'Add the run to the comparison in focus (or a new one)',
      isEnabled: args => Private.targetRuns(app, args).length > 0,
      execute: args => {
        const runs = Private.targetRuns(app, args);
        const current = tracker.currentWidget;
        if (!current) {
          return open(runs);
        }
        app.shell.activateById(current.id);
        void current.content.model.add(runs);
        return current;
      }
    });
    app.contextMenu.addItem({
      command: CompareCommandIDs.addToComparison,
      selector: RUN_ROW_SELECTOR,
      rank: 20
    });
    palette?.addItem({
      command: CompareCommandIDs.compare,
      category: 'Experiment Tracking'
    });

    void restorer?.restore(tracker, {
      command: CompareCommandIDs.compare,
      args: widget => ({
        runs: widget.content.model.refs as any,
        id: widget.id
      }),
      name: widget => widget.id
    });
  }
};

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * The runs a command acts on: `args.runs`, else the run row under the
   * context menu.
   */
  export function targetRuns(
    app: JupyterFrontEnd,
    args: Record<string, unknown>
  ): IRunRef[] {
    const given = parseRunRefs(args.runs);
    if (given.length) {
      return given;
    }
    const row = app.contextMenuHitTest(node => node.matches(RUN_ROW_SELECTOR));
    const workspace = row?.dataset.workspace;
    const runId = row?.dataset.runId;
    return workspace && runId ? [{ workspace, run_id: runId }] : [];
  }
}
