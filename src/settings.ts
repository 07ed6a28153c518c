import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { IChartOptions, XMode } from './chart/series';
import { ChartView } from './widgets/chartView';

/**
 * The id of the plugin whose schema (`schema/plugin.json`) holds the settings.
 */
export const SETTINGS_PLUGIN_ID = 'jupyterlab-aml:plugin';

/**
 * The sidebar's settings (`schema/plugin.json`), read and checked.
 */
export interface IAmlSettings {
  /** Seconds between refreshes while the sidebar is visible. */
  pollInterval: number;
  /** The workspace to make active at start-up ("" for the server's). */
  defaultWorkspace: string;
  /** How new charts are drawn. */
  chart: IChartOptions;
  /** How many points a chart loads per metric. */
  chartMaxPoints: number;
}

/**
 * The defaults, as in the schema.
 */
export const DEFAULT_SETTINGS: IAmlSettings = {
  pollInterval: 10,
  defaultWorkspace: '',
  chart: { xMode: 'step', smoothing: 0, logY: false },
  chartMaxPoints: 2000
};

/**
 * The settings from the registry's composite values; a value of the wrong
 * type or out of range falls back to its default (a hand-edited settings
 * file must not break the sidebar).
 */
export function readSettings(
  composite: ReadonlyPartialJSONObject
): IAmlSettings {
  const number = (key: string, fallback: number, min: number, max: number) => {
    const value = composite[key];
    return typeof value === 'number' && value >= min && value <= max
      ? value
      : fallback;
  };
  const xMode = composite.chartXAxis;
  const defaults = DEFAULT_SETTINGS;
  return {
    pollInterval: number('pollInterval', defaults.pollInterval, 1, 86400),
    defaultWorkspace:
      typeof composite.defaultWorkspace === 'string'
        ? composite.defaultWorkspace
        : defaults.defaultWorkspace,
    chart: {
      xMode: Private.X_MODES.includes(xMode as XMode)
        ? (xMode as XMode)
        : defaults.chart.xMode,
      smoothing: number(
        'chartSmoothing',
        defaults.chart.smoothing,
        0,
        ChartView.MAX_SMOOTHING
      ),
      logY:
        typeof composite.chartLogY === 'boolean'
          ? composite.chartLogY
          : defaults.chart.logY
    },
    chartMaxPoints: Math.round(
      number('chartMaxPoints', defaults.chartMaxPoints, 100, 100000)
    )
  };
}

/**
 * The chart options that differ between two settings: only those are pushed
 * to open charts, so a change of one default keeps what the user set by hand
 * on the others.
 */
export function chartChanges(
  previous: IChartOptions | null,
  next: IChartOptions
): Partial<IChartOptions> {
  const changes: Partial<IChartOptions> = {};
  for (const key of ['xMode', 'smoothing', 'logY'] as const) {
    if (!previous || previous[key] !== next[key]) {
      (changes as Record<string, unknown>)[key] = next[key];
    }
  }
  return changes;
}

/**
 * Set the changed options on a view.
 */
export function applyChartChanges(
  view: ChartView,
  changes: Partial<IChartOptions>
): void {
  if (changes.xMode !== undefined) {
    view.xMode = changes.xMode;
  }
  if (changes.smoothing !== undefined) {
    view.smoothing = changes.smoothing;
  }
  if (changes.logY !== undefined) {
    view.logY = changes.logY;
  }
}

/**
 * Load the plugin's settings, call `apply` with them now and on every change;
 * without a registry (or when it fails) `apply` gets the defaults.
 */
export async function loadSettings(
  registry: ISettingRegistry | null,
  pluginId: string,
  apply: (settings: IAmlSettings) => void
): Promise<void> {
  if (!registry) {
    apply(DEFAULT_SETTINGS);
    return;
  }
  try {
    const settings = await registry.load(pluginId);
    const update = () => apply(readSettings(settings.composite));
    update();
    settings.changed.connect(update);
  } catch (reason) {
    console.error('jupyterlab-aml: cannot load settings', reason);
    apply(DEFAULT_SETTINGS);
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /** The x-axis settings values. */
  export const X_MODES: XMode[] = ['step', 'wall', 'relative'];
}
