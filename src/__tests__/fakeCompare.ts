/**
 * A compare route for the fake server: runs and their full series per
 * workspace, answered as `POST api/workspaces/{ws}/compare` answers (`missing` for
 * an unknown run, only the runs and keys asked for).
 */

import { ICompareRequest, IRun, MetricPoint } from '../tokens';
import { FakeServer, IRecordedRequest, IReply } from './fakeServer';

/**
 * What one workspace of the fake holds.
 */
export interface IFakeWorkspace {
  runs: IRun[];
  /** `series[run_id][key]`: every point, as logged. */
  series: Record<string, Record<string, MetricPoint[]>>;
}

/**
 * Serve `api/workspaces/{name}/compare` and `api/workspaces/{name}/runs/{id}`
 * for each workspace of `workspaces`; returns the workspaces, to change later.
 */
export function serveCompare(
  server: FakeServer,
  workspaces: Record<string, IFakeWorkspace>
): Record<string, IFakeWorkspace> {
  for (const [name, store] of Object.entries(workspaces)) {
    server.on('POST', `api/workspaces/${name}/compare`, request =>
      compareReply(store, request)
    );
    for (const run of store.runs) {
      server.on('GET', `api/workspaces/${name}/runs/${run.run_id}`, () => ({
        body: store.runs.find(r => r.run_id === run.run_id)
      }));
    }
  }
  return workspaces;
}

/**
 * The run ids a recorded compare request asked for.
 */
export function requestedRunIds(request: IRecordedRequest): string[] {
  return (JSON.parse(request.body) as ICompareRequest).run_ids;
}

/**
 * The answer of a compare request, from what `store` holds now.
 */
export function compareReply(
  store: IFakeWorkspace,
  request: IRecordedRequest
): IReply {
  const body = JSON.parse(request.body) as ICompareRequest;
  const runs: IRun[] = [];
  const missing: string[] = [];
  for (const id of body.run_ids) {
    const run = store.runs.find(r => r.run_id === id);
    if (run) {
      runs.push(run);
    } else {
      missing.push(id);
    }
  }
  if (!runs.length) {
    return {
      status: 404,
      body: { message: 'none of the runs were found in workspace' }
    };
  }
  const keys =
    body.keys ?? [...new Set(runs.flatMap(r => Object.keys(r.metrics)))].sort();
  const series: Record<string, Record<string, unknown>> = {};
  for (const key of keys) {
    series[key] = {};
    for (const run of runs) {
      const points = store.series[run.run_id]?.[key];
      if (points) {
        series[key][run.run_id] = {
          total_points: points.length,
          sampled: points.length > body.max_points,
          points: points.slice(0, body.max_points)
        };
      }
    }
  }
  return { body: { runs, series, missing } };
}
