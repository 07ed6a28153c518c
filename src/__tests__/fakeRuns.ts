/**
 * Runs for tests, and a runs route of the fake server that pages them.
 */

import { IRun } from '../tokens';
import { IRecordedRequest, IReply } from './fakeServer';

/**
 * A run as the server reports it; `i` orders names, start times and metrics.
 */
export function run(i: number, extra: Partial<IRun> = {}): IRun {
  return {
    run_id: `r${i}`,
    run_name: `run-${i}`,
    experiment_id: '1',
    status: 'FINISHED',
    start_time: 1700000000000 - i * 1000,
    end_time: 1700000000000 - i * 1000 + 500,
    artifact_uri: `mlflow-artifacts:/1/r${i}/artifacts`,
    params: { lr: `0.0${i % 10}` },
    metrics: { loss: 1 / (i + 1), acc: i },
    tags: {},
    ...extra
  };
}

/**
 * Serve `runs()` in pages: the page token is the offset, as MLflow's is.
 */
export function pagedRuns(runs: () => IRun[]) {
  return (request: IRecordedRequest): IReply => {
    const params = request.url.searchParams;
    const offset = Number(params.get('page_token') ?? 0);
    const size = Number(params.get('max_results') ?? 100);
    const all = runs();
    const next = offset + size < all.length ? String(offset + size) : null;
    return {
      body: { runs: all.slice(offset, offset + size), next_page_token: next }
    };
  };
}
