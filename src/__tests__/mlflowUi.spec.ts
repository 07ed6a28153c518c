import { mlflowUiTarget } from '../mlflowUi';
import { workspace } from './fakeServer';

const BASE = 'http://localhost:8888/a%40b/';
const RUN = { run_id: 'r/1', experiment_id: '7' };

describe('mlflowUiTarget', () => {
  it('opens the embedded store in a tab through the passthrough', () => {
    expect(mlflowUiTarget(workspace('local'), RUN, BASE)).toEqual({
      kind: 'tab',
      label: 'Open in MLflow UI',
      url: 'http://localhost:8888/a%40b/aml/mlflow/local/#/experiments/7/runs/r%2F1'
    });
    expect(mlflowUiTarget(workspace('local'), null, BASE)).toMatchObject({
      url: 'http://localhost:8888/a%40b/aml/mlflow/local/#/experiments'
    });
  });

  it("opens an MLflow server's own address in a window, never the passthrough", () => {
    const team = workspace('team', 'ready', {
      tracking_uri: 'https://mlflow.example.com/'
    });
    expect(mlflowUiTarget(team, RUN, BASE)).toEqual({
      kind: 'window',
      label: 'Open in MLflow UI',
      url: 'https://mlflow.example.com/#/experiments/7/runs/r%2F1'
    });
    const starting = workspace('team', 'starting', { tracking_uri: '' });
    expect(mlflowUiTarget(starting, RUN, BASE)).toMatchObject({
      kind: 'unavailable',
      reason: 'The address of "team" is not known yet.'
    });
  });

  it('opens the run in Azure ML studio, in its cloud', () => {
    const aml = workspace('aml', 'ready', {
      kind: 'azureml',
      subscription_id: 'sub-1',
      resource_group: 'my rg',
      workspace_name: 'ws'
    });
    expect(mlflowUiTarget(aml, RUN, BASE)).toEqual({
      kind: 'window',
      label: 'Open in Azure ML Studio',
      url: 'https://ml.azure.com/runs/r%2F1?wsid=/subscriptions/sub-1/resourcegroups/my%20rg/workspaces/ws'
    });
    expect(
      mlflowUiTarget(
        { ...aml, studio_url: 'https://studio.ml.azure.cn/' },
        null,
        BASE
      )
    ).toMatchObject({
      url: 'https://studio.ml.azure.cn/?wsid=/subscriptions/sub-1/resourcegroups/my%20rg/workspaces/ws'
    });
  });

  it('says why there is nothing to open', () => {
    const aml = workspace('aml', 'ready', { kind: 'azureml' });
    expect(mlflowUiTarget(aml, RUN, BASE)).toMatchObject({
      kind: 'unavailable',
      reason: 'The server does not report the Azure coordinates of "aml".'
    });
    const custom = {
      ...aml,
      subscription_id: 's',
      resource_group: 'r',
      workspace_name: 'w',
      studio_url: null
    };
    expect(mlflowUiTarget(custom, RUN, BASE)).toMatchObject({
      kind: 'unavailable',
      reason: expect.stringContaining('custom cloud')
    });
    expect(mlflowUiTarget(null, null, BASE)).toMatchObject({
      kind: 'unavailable'
    });
  });
});
