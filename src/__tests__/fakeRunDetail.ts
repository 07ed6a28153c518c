/**
 * Run detail models for tests: run `r1` of the `local` workspace on a fake
 * server. Call `runDetailFixture()` inside a `describe`: it creates a server
 * before each test and disposes the models created after it.
 */

import { AmlClient } from '../api';
import { RunDetailModel } from '../runDetailModel';
import { run } from './fakeRuns';
import { FakeServer } from './fakeServer';

/** The REST route of run `r1`. */
export const RUN = 'api/workspaces/local/runs/r1';

/**
 * The server of the current test and a factory of its models.
 */
export interface IRunDetailFixture {
  /** The fake server of the current test. */
  readonly server: FakeServer;
  /** A model of run `r1` (metrics loss and acc) on the server; `options` override. */
  create(options?: Partial<RunDetailModel.IOptions>): RunDetailModel;
}

/**
 * Register the fixture's `beforeEach` and `afterEach` and return it.
 */
export function runDetailFixture(): IRunDetailFixture {
  let server: FakeServer;
  let models: RunDetailModel[] = [];

  beforeEach(() => {
    server = new FakeServer();
    models = [];
  });

  afterEach(() => {
    models.forEach(model => model.dispose());
  });

  return {
    get server() {
      return server;
    },
    create(options = {}) {
      const model = new RunDetailModel({
        client: new AmlClient({ serverSettings: server.settings() }),
        workspace: 'local',
        runId: 'r1',
        run: run(1, { metrics: { loss: 0.5, acc: 0.9 } }),
        ...options
      });
      models.push(model);
      return model;
    }
  };
}
