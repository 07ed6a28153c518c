/**
 * Performance marks of a comparison's load and draw, read by the browser
 * bench (`bench/compare_browser/`): when a load starts, when a workspace's
 * reply is parsed, when every reply is applied, and when every chart drew it.
 */
export const COMPARE_MARKS = {
  request: 'jp-aml-compare:request',
  response: 'jp-aml-compare:response',
  applied: 'jp-aml-compare:applied',
  drawn: 'jp-aml-compare:drawn'
} as const;

/**
 * Set a performance mark where the page has the User Timing API (jsdom
 * does not).
 */
export function mark(name: string): void {
  if (
    typeof performance !== 'undefined' &&
    typeof performance.mark === 'function'
  ) {
    performance.mark(name);
  }
}
