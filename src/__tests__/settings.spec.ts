import { SettingRegistry } from '@jupyterlab/settingregistry';

import {
  applyChartChanges,
  chartChanges,
  DEFAULT_SETTINGS,
  IAmlSettings,
  loadSettings,
  readSettings
} from '../settings';
import { ChartView } from '../widgets/chartView';
import { MemoryConnector, PLUGIN, schema } from './fakeSettings';

describe('settings', () => {
  it('match the schema defaults', () => {
    expect(readSettings({})).toEqual(DEFAULT_SETTINGS);
    const defaults = Object.fromEntries(
      Object.entries(schema.properties).map(([key, spec]) => [
        key,
        (spec as any).default
      ])
    );
    expect(readSettings(defaults)).toEqual(DEFAULT_SETTINGS);
  });

  it('fall back to the default for a wrong type or range', () => {
    const settings = readSettings({
      pollInterval: 0,
      defaultWorkspace: 3,
      chartXAxis: 'epoch',
      chartSmoothing: 2,
      chartLogY: 'yes',
      chartMaxPoints: 1234.4
    } as any);
    expect(settings).toEqual({
      ...DEFAULT_SETTINGS,
      chartMaxPoints: 1234
    });
  });

  it('push only the chart options that changed, keeping hand-set ones', () => {
    const view = new ChartView();
    const first = { xMode: 'wall', smoothing: 0.6, logY: false } as const;
    applyChartChanges(view, chartChanges(null, first));
    expect(view.toJSON()).toEqual(first);

    view.logY = true; // the user ticks "Log y" in the sidebar
    applyChartChanges(
      view,
      chartChanges(first, { ...first, xMode: 'relative' })
    );
    expect(view.toJSON()).toEqual({
      xMode: 'relative',
      smoothing: 0.6,
      logY: true
    });
  });

  it('apply on load and again on every change in the registry', async () => {
    const connector = new MemoryConnector();
    connector.raw = JSON.stringify({ chartXAxis: 'wall', pollInterval: 30 });
    const registry = new SettingRegistry({ connector });
    const applied: IAmlSettings[] = [];
    await loadSettings(registry, PLUGIN, settings => applied.push(settings));
    expect(applied).toHaveLength(1);
    expect(applied[0].chart.xMode).toBe('wall');
    expect(applied[0].pollInterval).toBe(30);

    await registry.set(PLUGIN, 'chartLogY', true);
    expect(applied[applied.length - 1].chart).toEqual({
      xMode: 'wall',
      smoothing: 0,
      logY: true
    });
  });

  it('apply the defaults without a registry', async () => {
    const applied: IAmlSettings[] = [];
    await loadSettings(null, PLUGIN, settings => applied.push(settings));
    expect(applied).toEqual([DEFAULT_SETTINGS]);
  });
});
