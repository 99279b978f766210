/**
 * A table's lag against its target over its refresh history, as inline SVG. Lag is now minus the data timestamp of
 * the newest successful refresh: it drops when a refresh succeeds and grows until the next one, a saw-tooth. Failed
 * refreshes are marked on the time axis.
 */
import { s } from './dom.js';
import { dateTime, duration } from './format.js';

const HEIGHT = 200;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

/** The lag line's corners: after each success the lag is its finish minus its data timestamp, then it grows. */
function lagPoints(successes, now) {
  const points = [];
  let dataTimestamp = null;
  for (const refresh of successes) {
    const at = Date.parse(refresh.finishedAt);
    if (dataTimestamp !== null) points.push({ at, lag: (at - dataTimestamp) / 1000 });
    dataTimestamp = Date.parse(refresh.dataTimestamp);
    points.push({ at, lag: (at - dataTimestamp) / 1000, refresh });
  }
  if (dataTimestamp !== null) points.push({ at: now, lag: (now - dataTimestamp) / 1000 });
  return points;
}

/** The lag scale's top: above the error threshold, and up to three times it for larger lags (clipped beyond). */
function scaleTop(points, errorAfter) {
  const largest = Math.max(0, ...points.map((p) => p.lag));
  return Math.max(errorAfter * 1.2, Math.min(largest * 1.05, errorAfter * 3));
}

function band(y, width, from, to, tone) {
  const top = y(Math.max(from, to));
  return s('rect', {
    x: PAD.left,
    y: top,
    width: width - PAD.left - PAD.right,
    height: Math.max(0, y(Math.min(from, to)) - top),
    class: `band band-${tone}`,
  });
}

function axisLabel(x, y, text, anchor = 'end') {
  return s('text', { x, y, 'text-anchor': anchor, class: 'axis' }, text);
}

/**
 * The chart for `refreshes` (as GET …/refreshes answers, newest first) against `thresholds` (`targetLagSeconds`,
 * `warnAfterSeconds`, `errorAfterSeconds` of GET /v3/freshness). `width` is in the page's pixels: the text keeps its
 * size however wide the chart is drawn.
 */
export function lagChart(refreshes, thresholds, { width = 640, now = Date.now() } = {}) {
  const WIDTH = width;
  const settled = refreshes
    .filter((r) => r.finishedAt)
    .sort((a, b) => Date.parse(a.finishedAt) - Date.parse(b.finishedAt));
  const successes = settled.filter((r) => r.state === 'SUCCEEDED' && r.dataTimestamp);
  const failures = settled.filter((r) => r.state === 'FAILED' || r.state === 'UPSTREAM_FAILED');
  // A target of zero would leave the axes without a span.
  const target = Math.max(thresholds.targetLagSeconds, 1);
  const warn = Math.max(thresholds.warnAfterSeconds, target);
  const error = Math.max(thresholds.errorAfterSeconds, warn);
  const points = lagPoints(successes, now);
  const times = [...settled.map((r) => Date.parse(r.finishedAt)), now];
  const start = Math.min(Math.min(...times), now - target * 2000);
  const top = scaleTop(points, error);
  const x = (t) => PAD.left + ((t - start) / (now - start)) * (WIDTH - PAD.left - PAD.right);
  const y = (lag) => PAD.top + (1 - Math.min(lag, top) / top) * (HEIGHT - PAD.top - PAD.bottom);
  const bottom = HEIGHT - PAD.bottom;

  const line = points.map((p) => `${x(p.at).toFixed(1)},${y(p.lag).toFixed(1)}`).join(' ');
  const largest = Math.max(0, ...points.map((p) => p.lag));
  return s(
    'svg',
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: 'lag-chart',
      role: 'img',
      'aria-label': `Lag against a target of ${duration(target)} over the last ${settled.length} refreshes`,
    },
    band(y, WIDTH, 0, warn, 'fresh'),
    band(y, WIDTH, warn, error, 'warn'),
    band(y, WIDTH, error, top, 'stale'),
    s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(target), y2: y(target), class: 'target' }),
    axisLabel(PAD.left - 4, y(0) + 4, '0'),
    axisLabel(PAD.left - 4, y(target) + 4, duration(target)),
    error !== target && y(target) - y(error) > 12 ? axisLabel(PAD.left - 4, y(error) + 4, duration(error)) : null,
    axisLabel(PAD.left - 4, y(top) + 10, duration(top)),
    s('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: bottom, y2: bottom, class: 'axis-line' }),
    axisLabel(PAD.left, HEIGHT - 8, dateTime(new Date(start).toISOString()), 'start'),
    axisLabel(WIDTH - PAD.right, HEIGHT - 8, 'now'),
    points.length > 0 ? s('polyline', { points: line, class: 'lag-line' }) : null,
    points
      .filter((p) => p.refresh)
      .map((p) =>
        s(
          'circle',
          { cx: x(p.at), cy: y(p.lag), r: 3, class: 'lag-point' },
          s('title', {}, `${dateTime(p.refresh.finishedAt)}: lag ${duration(p.lag)}`),
        ),
      ),
    failures.map((r) =>
      s(
        'path',
        { d: `M${x(Date.parse(r.finishedAt)) - 4},${bottom - 4} l8,8 m0,-8 l-8,8`, class: 'failure-mark' },
        s('title', {}, `${dateTime(r.finishedAt)}: ${r.state} ${r.error ?? ''}`),
      ),
    ),
    largest > top
      ? s(
          'text',
          { x: WIDTH - PAD.right, y: PAD.top + 12, 'text-anchor': 'end', class: 'axis off-scale' },
          `lag up to ${duration(largest)} (off the scale)`,
        )
      : null,
    points.length === 0 ? axisLabel(WIDTH / 2, HEIGHT / 2, 'No successful refresh yet', 'middle') : null,
  );
}
