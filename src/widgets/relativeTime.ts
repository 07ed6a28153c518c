import { WireNumber } from '../tokens';

/**
 * How long ago `time` (epoch ms) was, in words: "just now", "3 min ago", "2 days ago".
 */
export function relativeTime(time: number | null, now: number): string {
  if (time === null || !Number.isFinite(time)) {
    return '';
  }
  const seconds = Math.round((now - time) / 1000);
  if (seconds < 0) {
    // A clock ahead of ours: the run is as new as it gets.
    return 'just now';
  }
  if (seconds < 10) {
    return 'just now';
  }
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours} h ago`;
  }
  const days = Math.floor(hours / 24);
  if (days < 30) {
    return days === 1 ? '1 day ago' : `${days} days ago`;
  }
  return new Date(time).toLocaleDateString();
}

/**
 * How far ahead `time` (epoch ms) is, in words: "in 42 min", "in 2 h", or
 * "3 min ago" once it has passed.
 */
export function timeUntil(time: number | null, now: number): string {
  if (time === null || !Number.isFinite(time)) {
    return '';
  }
  const seconds = Math.round((time - now) / 1000);
  if (seconds <= 0) {
    return seconds > -10 ? 'now' : relativeTime(time, now);
  }
  if (seconds < 60) {
    return `in ${seconds} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `in ${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `in ${hours} h`;
  }
  const days = Math.floor(hours / 24);
  return days === 1 ? 'in 1 day' : `in ${days} days`;
}

/**
 * A duration in the two largest units: "850 ms", "12 s", "3 min 4 s", "2 h 5 min".
 */
export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) {
    return '';
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  const total = Math.round(ms / 1000);
  if (total < 60) {
    return `${total} s`;
  }
  const units: [number, string][] = [
    [Math.floor(total / 86400), 'd'],
    [Math.floor(total / 3600) % 24, 'h'],
    [Math.floor(total / 60) % 60, 'min'],
    [total % 60, 's']
  ];
  const first = units.findIndex(([value]) => value > 0);
  return units
    .slice(first, first + 2)
    .filter(([value], index) => index === 0 || value > 0)
    .map(([value, unit]) => `${value} ${unit}`)
    .join(' ');
}

/**
 * How long a run took, or has been running (until `now`) while it has no end.
 */
export function runDuration(
  run: { start_time: number | null; end_time: number | null; status: string },
  now: number
): number | null {
  if (run.start_time === null) {
    return null;
  }
  if (run.end_time !== null) {
    return run.end_time - run.start_time;
  }
  return run.status === 'RUNNING' ? now - run.start_time : null;
}

/**
 * A metric value for a table cell: at most 5 significant digits, non-finite as sent.
 */
export function formatMetric(value: WireNumber | undefined | null): string {
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value === 'string') {
    return value;
  }
  if (Number.isInteger(value) && Math.abs(value) < 1e9) {
    return String(value);
  }
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e9)) {
    return value.toExponential(3);
  }
  return String(Number(value.toPrecision(5)));
}

/**
 * A byte count for people: "812 B", "4.2 KB", "17 MB".
 */
export function formatBytes(size: number | null): string {
  if (size === null || !Number.isFinite(size) || size < 0) {
    return '';
  }
  if (size < 1024) {
    return `${size} B`;
  }
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
