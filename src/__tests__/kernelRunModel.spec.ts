import { KERNEL_ID_TAG, KernelRunModel } from '../kernelRunModel';
import {
  kernelRunFixture,
  liveRun as run,
  pushPoints as push,
  RUN_ROUTE
} from './fakeKernel';
import { FakeWebSocket, waitFor } from './fakeLiveSocket';

describe('KernelRunModel', () => {
  const fx = kernelRunFixture();
  const socket = () => FakeWebSocket.latest();

  it('waits for a notebook with a kernel', () => {
    fx.create();
    expect(fx.model.status).toBe('no-notebook');
    fx.tracker.focus(null);
    expect(fx.model.status).toBe('no-kernel');
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it('picks up a new run of the kernel from a run message', async () => {
    fx.server.on('GET', 'api/kernels/k1/runs', {
      body: { workspace: 'local', runs: [] }
    });
    fx.server.on('GET', RUN_ROUTE('r2'), { body: run('r2') });
    fx.tracker.focus('k1');
    fx.create();
    await waitFor(() => fx.model.status === 'no-run');
    expect(fx.model.workspace).toBe('local');
    socket().open();
    expect(socket().subscribed()).toEqual([
      { workspace: 'local', run_id: null }
    ]);
    socket().ackAll();
    // Once the server listens, runs created meanwhile are looked up again.
    await waitFor(
      () => fx.server.calls('GET', 'api/kernels/k1/runs').length === 2
    );

    const other = run('r9', { tags: { [KERNEL_ID_TAG]: 'k-other' } });
    socket().receive({ type: 'run', workspace: 'local', run: other });
    expect(fx.model.run).toBeNull();

    const created = run('r2', { tags: { [KERNEL_ID_TAG]: 'k1' } });
    socket().receive({ type: 'run', workspace: 'local', run: created });
    expect(fx.model.status).toBe('live');
    expect(fx.model.run?.run_id).toBe('r2');
    expect(socket().subscribed()).toContainEqual({
      workspace: 'local',
      run_id: 'r2'
    });

    // A later status change of the followed run updates it in place.
    socket().receive({
      type: 'run',
      workspace: 'local',
      run: { ...created, status: 'FINISHED' }
    });
    expect(fx.model.run?.status).toBe('FINISHED');
    expect(fx.server.calls('GET', 'api/kernels/k1/runs')).toHaveLength(2);
  });

  it('switches runs with the kernel and unsubscribes from the old one', async () => {
    fx.server
      .on('GET', 'api/kernels/k1/runs', {
        body: { workspace: 'local', runs: [run('r1')] }
      })
      .on('GET', 'api/kernels/k2/runs', {
        body: { workspace: 'local', runs: [run('r2'), run('r0')] }
      })
      .on('GET', RUN_ROUTE('r1'), { body: run('r1') })
      .on('GET', RUN_ROUTE('r2'), { body: run('r2') });
    const session = fx.tracker.focus('k1');
    fx.create();
    await waitFor(() => fx.model.run?.run_id === 'r1');
    socket().open();
    socket().ackAll();
    push('r1', [[0, 1000, 1]]);
    expect(fx.model.series('loss')).toHaveLength(1);

    const changes: KernelRunModel.IChange[] = [];
    fx.model.changed.connect((_, change) => changes.push(change));
    session.setKernel('k2');
    expect(fx.model.kernelId).toBe('k2');
    await waitFor(() => fx.model.run?.run_id === 'r2');
    expect(changes.some(c => c.run)).toBe(true);
    expect(fx.model.series('loss')).toHaveLength(0);
    expect(socket().sent).toContainEqual({
      unsubscribe: { workspace: 'local', run_id: 'r1' }
    });
    expect(socket().subscribed()).toEqual([
      { workspace: 'local', run_id: null },
      { workspace: 'local', run_id: 'r2' }
    ]);

    // Points of the old run no longer count.
    push('r1', [[1, 1100, 0.5]]);
    expect(fx.model.keys).toEqual([]);

    // Focus on a notebook without a kernel: nothing to follow.
    fx.tracker.focus(null);
    expect(fx.model.status).toBe('no-kernel');
    expect(fx.model.run).toBeNull();
    expect(socket().subscribed()).toEqual([]);
  });
});
