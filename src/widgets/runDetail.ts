import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { RunDetailModel } from '../runDetailModel';
import { IRun, WireNumber } from '../tokens';
import { ArtifactsView } from './artifacts';
import { h, renderIfChanged } from './dom';
import {
  formatDuration,
  formatMetric,
  relativeTime,
  runDuration
} from './relativeTime';
import { statusIcon } from './runColumns';

/**
 * One run in detail: provenance (the notebook opens from here, at the cell that
 * started the run), params, metrics with last/min/max, tags and artifacts.
 * Min and max load when the metrics are shown; artifacts when they are opened.
 */
export class RunDetail extends Widget {
  /**
   * Create the view of `options.model`.
   */
  constructor(options: RunDetail.IOptions) {
    super();
    this.addClass('jp-aml-run-detail');
    this._model = options.model;
    this._openNotebook = options.openNotebook ?? null;
    this._now = options.now ?? Date.now;
    this.id = `jp-aml-run-${this._model.runId}`;
    this.title.caption = `Run ${this._model.runId}`;
    this._artifacts = new ArtifactsView({
      model: this._model.artifacts,
      download: options.download
    });
    this._sections = {
      params: Private.section('Parameters', 'params'),
      metrics: Private.section('Metrics', 'metrics'),
      tags: Private.section('Tags', 'tags'),
      system: Private.section('System tags', 'system-tags', false),
      artifacts: Private.section('Artifacts', 'artifacts', false)
    };
    this._sections.artifacts.append(this._artifacts.node);
    this.node.append(
      this._header,
      this._error,
      this._followNote,
      this._provenance,
      ...Object.values(this._sections)
    );
    this._sections.metrics.addEventListener('toggle', this._loadSummaries);
    this._sections.artifacts.addEventListener('toggle', this._openArtifacts);
    this._provenance.addEventListener('click', this._onProvenanceClick);
    this._model.stateChanged.connect(this._render, this);
    this._render();
  }

  /** The model the view renders. */
  get model(): RunDetailModel {
    return this._model;
  }

  /**
   * Stop rendering and release the model; safe to call more than once.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.stateChanged.disconnect(this._render, this);
    this._artifacts.dispose();
    this._model.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._model.run && !this._model.loading) {
      void this._model.refresh();
    }
    this._loadSummaries();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    // A running run has moved on since it was last shown.
    if (this._model.run?.status === 'RUNNING') {
      void this._model.refresh();
    }
  }

  private _render(): void {
    const model = this._model;
    const run = model.run;
    this.title.label = run?.run_name || model.runId;
    this._error.textContent = model.error ?? '';
    this._error.hidden = model.error === null;
    this.node.dataset.status = run?.status ?? '';
    this.node.dataset.follow = model.followMode;
    this._followNote.hidden = model.followMode !== 'polling';
    if (!run) {
      this._header.replaceChildren(
        h('p', { class: 'jp-aml-empty' }, model.loading ? 'Loading run…' : '')
      );
      return;
    }
    this._header.replaceChildren(...Private.header(run, this._now()));
    this._renderProvenance();
    const { params, metrics, tags, system } = this._sections;
    Private.fillTable(params, 'Parameters', Object.entries(run.params));
    const rows = Object.keys(run.metrics)
      .sort()
      .map(key => Private.metricRow(key, run.metrics[key], model.summary(key)));
    renderIfChanged(
      metrics.lastElementChild as HTMLElement,
      JSON.stringify(rows),
      () => [Private.table(['Metric', 'Last', 'Min', 'Max'], rows)]
    );
    Private.count(metrics, 'Metrics', rows.length);
    const entries = Object.entries(run.tags).sort(([a], [b]) =>
      a.localeCompare(b)
    );
    const isSystem = ([key]: [string, string]) =>
      key.startsWith('mlflow.') || key.startsWith('jupyterlab_aml.');
    Private.fillTable(
      tags,
      'Tags',
      entries.filter(e => !isSystem(e))
    );
    Private.fillTable(system, 'System tags', entries.filter(isSystem));
    if (this._sections.metrics.open) {
      this._loadSummaries();
    }
  }

  private _renderProvenance(): void {
    const prov = this._model.provenance;
    const parts: (HTMLElement | string)[] = [];
    if (prov.notebookPath) {
      const where = prov.cellId ? ' (at the cell that started the run)' : '';
      parts.push(
        'Notebook: ',
        h(
          'button',
          {
            class: 'jp-aml-link jp-aml-run-source',
            'data-path': prov.notebookPath,
            title: `Open ${prov.notebookPath}${where}`,
            disabled: this._openNotebook ? undefined : ''
          },
          prov.notebookPath
        )
      );
    } else if (prov.sourceName) {
      parts.push(`Source: ${prov.sourceName}`);
    }
    if (prov.executionCount) {
      parts.push(` · cell [${prov.executionCount}]`);
    }
    if (prov.user) {
      parts.push(` · by ${prov.user}`);
    }
    renderIfChanged(
      this._provenance,
      JSON.stringify([prov, !!this._openNotebook]),
      () => parts
    );
    this._provenance.hidden = parts.length === 0;
  }

  private _loadSummaries = (): void => {
    if (this._sections.metrics.open && this._model.run && this.isAttached) {
      void this._model.loadSummaries();
    }
  };

  private _openArtifacts = (): void => {
    if (this._sections.artifacts.open) {
      void this._artifacts.open();
    }
  };

  private _onProvenanceClick = (event: MouseEvent): void => {
    const source = (event.target as HTMLElement).closest('.jp-aml-run-source');
    const prov = this._model.provenance;
    if (source && prov.notebookPath && this._openNotebook) {
      void Promise.resolve(
        this._openNotebook(prov.notebookPath, prov.cellId)
      ).catch(error =>
        console.error(`jupyterlab-aml: cannot open ${prov.notebookPath}`, error)
      );
    }
  };

  private _model: RunDetailModel;
  private _openNotebook: RunDetail.OpenNotebook | null;
  private _now: () => number;
  private _artifacts: ArtifactsView;
  private _sections: Record<
    'params' | 'metrics' | 'tags' | 'system' | 'artifacts',
    HTMLDetailsElement
  >;
  private _header = h('div', { class: 'jp-aml-run-detail-header' });
  private _provenance = h('p', { class: 'jp-aml-run-provenance' });
  private _followNote = h(
    'p',
    { class: 'jp-aml-empty jp-aml-run-follow' },
    'Live updates are unavailable: this running run is refreshed every few seconds.'
  );
  private _error = h('div', {
    class: 'jp-aml-banner jp-aml-error',
    role: 'alert'
  });
}

/**
 * The RunDetail statics.
 */
export namespace RunDetail {
  /**
   * Open a notebook (path relative to the server root) and, when `cellId` is
   * known, reveal that cell: `docmanager:open`, then `revealCell`.
   */
  export type OpenNotebook = (
    path: string,
    cellId: string | null
  ) => void | Promise<unknown>;

  /**
   * The options to create a view.
   */
  export interface IOptions {
    /** The run to show; the view disposes it with itself. */
    model: RunDetailModel;
    /** Open the run's notebook; without it the notebook shows as text. */
    openNotebook?: OpenNotebook;
    /** Save a downloaded artifact (default: a download link clicked in the page). */
    download?: (name: string, blob: Blob) => void;
    /** The clock (default `Date.now`), for relative times. */
    now?: () => number;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * A collapsible section with a summary and a body.
   */
  export function section(
    title: string,
    name: string,
    open = true
  ): HTMLDetailsElement {
    const details = h(
      'details',
      { class: `jp-aml-run-detail-section jp-aml-run-${name}` },
      h('summary', { class: 'jp-aml-section-title' }, title),
      h('div', { class: 'jp-aml-run-detail-body' })
    );
    details.open = open;
    return details;
  }

  /**
   * Show a count in a section's summary.
   */
  export function count(section: HTMLElement, title: string, n: number): void {
    section.querySelector('summary')!.textContent = `${title} (${n})`;
  }

  /**
   * Fill a section with a key/value table, or a note when it has none.
   */
  export function fillTable(
    section: HTMLElement,
    title: string,
    entries: [string, string][]
  ): void {
    count(section, title, entries.length);
    const rows = entries.map(([key, value]) => [key, value]);
    renderIfChanged(
      section.lastElementChild as HTMLElement,
      JSON.stringify(rows),
      () => [
        rows.length > 0
          ? table(['Key', 'Value'], rows)
          : h('p', { class: 'jp-aml-empty' }, 'None.')
      ]
    );
  }

  /**
   * A table of text cells; the first column is the row header.
   */
  export function table(head: string[], rows: string[][]): HTMLElement {
    return h(
      'table',
      { class: 'jp-aml-run-table' },
      h(
        'thead',
        {},
        h('tr', {}, ...head.map(text => h('th', { scope: 'col' }, text)))
      ),
      h(
        'tbody',
        {},
        ...rows.map(([key, ...values]) =>
          h(
            'tr',
            { 'data-key': key },
            h('th', { scope: 'row', title: key }, key),
            ...values.map(value => h('td', { title: value }, value))
          )
        )
      )
    );
  }

  /**
   * The cells of a metric row: key, last, min and max (with their steps).
   */
  export function metricRow(
    key: string,
    last: WireNumber,
    summary: RunDetailModel.ISummary | undefined
  ): string[] {
    const extreme = (which: 'min' | 'max') => {
      if (!summary || summary.state === 'loading') {
        return '…';
      }
      const point = summary[which];
      return point ? `${formatMetric(point.value)} @ ${point.step}` : '—';
    };
    return [key, formatMetric(last), extreme('min'), extreme('max')];
  }

  /**
   * The status, name, id, start and duration of a run.
   */
  export function header(run: IRun, now: number): HTMLElement[] {
    const started = run.start_time
      ? `Started ${relativeTime(run.start_time, now)} (${new Date(run.start_time).toLocaleString()})`
      : '';
    const duration = formatDuration(runDuration(run, now));
    return [
      h(
        'h2',
        { class: 'jp-aml-run-detail-title' },
        statusIcon(run.status),
        h('span', {}, run.run_name || run.run_id)
      ),
      h(
        'p',
        { class: 'jp-aml-run-detail-meta' },
        `Run ${run.run_id} · experiment ${run.experiment_id}`,
        h('br'),
        [
          started,
          duration && `${run.end_time ? 'took' : 'running for'} ${duration}`
        ]
          .filter(Boolean)
          .join(' · ')
      )
    ];
  }
}
