/**
 * In-page timing probe, added to every page with `page.addInitScript`.
 *
 * One timed action: `arm()` before the input, Playwright sends the input, then
 * `result()` resolves once the condition holds and the page has painted it.
 * The action starts at the `timeStamp` of the trusted input event (when the
 * browser received it, so input queueing counts), not when Playwright asked.
 *
 * "Drawn" is taken after the next paint: a `requestAnimationFrame`, then a
 * task posted from it, which runs once that frame has been rendered. A chart
 * sets `data-points` inside an animation frame, so its "drawn" is up to one
 * frame (16.7 ms) late; the time the attribute changed is reported too.
 *
 * All times are `performance.now()` milliseconds; `timeOrigin` turns them into
 * wall-clock time for comparing with the kernel's `time.time()`.
 */
(() => {
  if (window.amlBench) {
    return;
  }
  // Lab polls several routes: keep every resource entry of a repeat.
  performance.setResourceTimingBufferSize(100000);

  const afterPaint = () =>
    new Promise(resolve =>
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(performance.now());
        channel.port2.postMessage(null);
      })
    );

  const number = (element, name) => Number(element?.dataset[name] ?? NaN);

  /** What a timed action waits for: a check of the DOM, and what to watch. */
  const conditions = {
    // The runs grid holds a loaded first page (`minRows` runs) and has rows in the DOM.
    runsFirstPage: {
      watch: {
        attributes: true,
        attributeFilter: [
          'data-loading',
          'data-total-loaded',
          'data-rendered-rows'
        ]
      },
      check: ({ minRows }) => {
        const grid = document.querySelector(
          '.jp-aml-runs-section .jp-aml-runs-table[role="grid"]'
        );
        if (
          grid?.dataset.loading !== 'false' ||
          number(grid, 'totalLoaded') < minRows ||
          !(number(grid, 'renderedRows') > 0)
        ) {
          return null;
        }
        const first = grid.querySelector('.jp-aml-runs-row');
        return {
          totalLoaded: number(grid, 'totalLoaded'),
          renderedRows: number(grid, 'renderedRows'),
          firstRow: first?.textContent?.slice(0, 60) ?? ''
        };
      }
    },
    // A metric chart under `scope` has drawn at least `minPoints` points.
    chartPoints: {
      watch: { attributes: true, attributeFilter: ['data-points'] },
      check: ({ scope, key, minPoints }) => {
        const chart = document.querySelector(
          `${scope} .jp-aml-metric-chart[data-key="${key}"]`
        );
        const points = number(chart, 'points');
        // `data-points` is set before uPlot has loaded the first time: wait for its canvas.
        if (!(points >= minPoints) || !chart.querySelector('canvas')) {
          return null;
        }
        return { points };
      }
    },
    // MLflow's runs table shows rows linking to runs of `experimentId`.
    mlflowRows: {
      watch: {},
      check: ({ experimentId }) => {
        const links = document.querySelectorAll(
          `.ag-row a[href*="#/experiments/${experimentId}/runs/"]`
        );
        if (links.length === 0) {
          return null;
        }
        return { rows: links.length, firstRow: links[0].textContent };
      }
    },
    // MLflow's metric chart (plotly) has drawn a line of at least `minSegments` segments.
    mlflowChart: {
      watch: { attributes: true, attributeFilter: ['d'] },
      check: ({ minSegments }) => {
        const line = document.querySelector('.js-plotly-plot path.js-line');
        const segments = (line?.getAttribute('d')?.match(/L/g) ?? []).length;
        return segments >= minSegments ? { segments } : null;
      }
    }
  };

  window.amlBench = {
    /**
     * Start watching for `name` after the next trusted `event`; `result()` gives the figures.
     */
    arm({ name, args, event, timeoutMs, heldBefore = false }) {
      const condition = conditions[name];
      // `heldBefore`: the action first undoes the condition (a new sort reloads shown rows).
      if (!heldBefore && condition.check(args)) {
        throw new Error(`${name} already holds before the action`);
      }
      performance.clearResourceTimings();
      const state = { event, t0: null, tCondition: null, detail: null };
      this._pending = new Promise((resolve, reject) => {
        const onInput = e => {
          if (e.isTrusted && state.t0 === null) {
            state.t0 = e.timeStamp;
            window.removeEventListener(event, onInput, true);
          }
        };
        window.addEventListener(event, onInput, true);
        const finish = detail => {
          observer.disconnect();
          clearTimeout(timer);
          state.tCondition = performance.now();
          state.detail = detail;
          void afterPaint().then(tDrawn => resolve({ ...state, tDrawn }));
        };
        const observer = new MutationObserver(() => {
          if (state.t0 === null) {
            return; // not acted yet
          }
          const detail = condition.check(args);
          if (detail) {
            finish(detail);
          }
        });
        observer.observe(document.body, {
          subtree: true,
          childList: true,
          ...condition.watch
        });
        const timer = setTimeout(() => {
          observer.disconnect();
          window.removeEventListener(event, onInput, true);
          reject(new Error(`${name} did not hold within ${timeoutMs} ms`));
        }, timeoutMs);
      });
      this._pending.catch(() => undefined); // read by result()
    },

    /** The figures of the armed action, with the resource timings that matched `match`. */
    async result(match) {
      const state = await this._pending;
      const resources = performance
        .getEntriesByType('resource')
        .filter(entry => match.some(part => entry.name.includes(part)))
        .map(entry => ({
          name: entry.name,
          startTime: entry.startTime,
          requestStart: entry.requestStart,
          responseStart: entry.responseStart,
          responseEnd: entry.responseEnd,
          bodyBytes: entry.decodedBodySize
        }));
      return { ...state, resources };
    },

    /** Resource entries whose URL holds `part`, since the last arm(). */
    resources(part) {
      return performance
        .getEntriesByType('resource')
        .filter(entry => entry.name.includes(part)).length;
    },

    /**
     * Stamp every increase of a chart's `data-points` (it appears later) in wall-clock ms.
     */
    recordPoints({ scope, key }) {
      const records = [];
      let last = 0;
      const observer = new MutationObserver(() => {
        const chart = document.querySelector(
          `${scope} .jp-aml-metric-chart[data-key="${key}"]`
        );
        const points = number(chart, 'points');
        if (points > last) {
          last = points;
          const record = {
            points,
            tAttribute: performance.now(),
            tDrawn: null
          };
          records.push(record);
          void afterPaint().then(t => (record.tDrawn = t));
        }
      });
      observer.observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-points']
      });
      this._recording = { observer, records, clock: [this.clock()] };
    },

    /** Stop recording; the records, and the clock checked at start and end. */
    stopRecording() {
      const { observer, records, clock } = this._recording;
      observer.disconnect();
      clock.push(this.clock());
      return { timeOrigin: performance.timeOrigin, records, clock };
    },

    /** How far `timeOrigin + now()` is from `Date.now()` (ms): the page clock's drift. */
    clock() {
      return Date.now() - (performance.timeOrigin + performance.now());
    }
  };
})();
