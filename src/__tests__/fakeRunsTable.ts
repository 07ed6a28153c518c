/**
 * A runs table for tests: a `RunsTable` attached to the page over a
 * `RunsModel` of the fake server, and the DOM queries and events the specs
 * drive it with. Call `runsTableFixture()` inside a `describe`: it creates a
 * server before each test and disposes the table after it.
 */

import { Widget } from '@lumino/widgets';

import { AmlClient } from '../api';
import { RunsModel } from '../runsModel';
import { IRun } from '../tokens';
import { RunsTable } from '../widgets/runsTable';
import { pagedRuns, run } from './fakeRuns';
import { FakeServer, until } from './fakeServer';

/** The runs route of the `local` workspace. */
export const RUNS = 'api/workspaces/local/runs';

/** The height of a row in pixels. */
export const ROW = RunsTable.ROW_HEIGHT;

/**
 * The table under test and its helpers.
 */
export interface IRunsTableFixture {
  /** The fake server of the current test. */
  readonly server: FakeServer;
  /** The model of the current test (after `create`). */
  readonly model: RunsModel;
  /** The table of the current test (after `create`). */
  readonly table: RunsTable;
  /** The runs the server pages (replace or change them between loads). */
  runs: IRun[];
  /**
   * Serve `count` runs, `pageSize` a page, and attach a table showing the
   * first page of experiment 1.
   */
  create(
    count: number,
    pageSize?: number,
    compare?: RunsTable.IOptions['compare']
  ): Promise<void>;
  /** The grid element. */
  grid(): HTMLElement;
  /** The rendered rows. */
  rows(): HTMLElement[];
  /** The run ids of the rendered rows. */
  rowIds(): string[];
  /** The rendered row of a run. */
  row(id: string): HTMLElement;
  /** Scroll the grid to `top` pixels. */
  scrollTo(top: number): void;
  /** Press a key in the grid. */
  key(key: string, init?: KeyboardEventInit): void;
  /** Click a run's name cell. */
  click(id: string, init?: MouseEventInit): void;
}

/**
 * Register the fixture's `beforeEach` and `afterEach` and return it.
 */
export function runsTableFixture(): IRunsTableFixture {
  let server: FakeServer;
  let model: RunsModel | undefined;
  let table: RunsTable | undefined;
  const fixture: IRunsTableFixture = {
    get server() {
      return server;
    },
    get model() {
      return model!;
    },
    get table() {
      return table!;
    },
    runs: [],
    async create(count, pageSize = count, compare) {
      fixture.runs = Array.from({ length: count }, (_, i) => run(i));
      server.on(
        'GET',
        RUNS,
        pagedRuns(() => fixture.runs)
      );
      model = new RunsModel({
        client: new AmlClient({ serverSettings: server.settings() }),
        autoStart: false,
        pollInterval: 60 * 1000,
        standby: 'never',
        pageSize
      });
      table = new RunsTable({
        model,
        now: () => 1700000000000 + 180 * 1000,
        compare
      });
      Widget.attach(table, document.body);
      model.setScope('local', ['1']);
      const created = model;
      await until(
        created.stateChanged,
        () => created.loaded && !created.loading
      );
    },
    grid: () => table!.node.querySelector<HTMLElement>('[role="grid"]')!,
    rows: () =>
      Array.from(
        fixture.grid().querySelectorAll<HTMLElement>('.jp-aml-runs-row')
      ),
    rowIds: () => fixture.rows().map(r => r.dataset.runId!),
    row: id => fixture.rows().find(r => r.dataset.runId === id)!,
    scrollTo: top => {
      fixture.grid().scrollTop = top;
      fixture.grid().dispatchEvent(new Event('scroll'));
    },
    key: (key, init = {}) => {
      fixture
        .grid()
        .dispatchEvent(
          new KeyboardEvent('keydown', { key, bubbles: true, ...init })
        );
    },
    click: (id, init = {}) => {
      fixture
        .row(id)
        .querySelector('.jp-aml-runs-cell-name')!
        .dispatchEvent(new MouseEvent('click', { bubbles: true, ...init }));
    }
  };

  beforeEach(() => {
    server = new FakeServer();
  });

  afterEach(() => {
    table?.dispose();
    model?.dispose();
    table = undefined;
    model = undefined;
  });

  return fixture;
}
