/**
 * Plots the limit of an AdaptiveConcurrencyLimiter over time, for each algorithm, in the three
 * scenarios that test/adaptive-concurrency/simulation.test.ts asserts (the same simulation, on a
 * manual clock, so the plots are reproducible): starting far below the server's capacity, far
 * above it, and the capacity halving mid-run.
 *
 * Writes docs/images/adaptive-<algorithm>.svg (hand-written SVG, no dependencies), which
 * docs/adaptive-concurrency.md embeds. Run: `npx tsx bench/adaptive-plot.ts`.
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LimitAlgorithmName } from '../src/adaptive-concurrency/index';
import { DEFAULT_SERVER, scenarios, simulate, type Trace } from '../test/adaptive-concurrency/simulation';

const WIDTH = 760;
const PANEL_HEIGHT = 170;
const MARGIN = { left: 56, right: 20, top: 46, bottom: 34 };
const PANEL_GAP = 26;
const COLORS = { limit: '#1f6feb', capacity: '#57606a', band: '#2da44e', text: '#24292f', grid: '#d0d7de' };

const TITLES: Record<keyof ReturnType<typeof scenarios>, string> = {
  fromBelow: 'starting 10× below the capacity',
  fromAbove: 'starting 8× above the capacity',
  capacityHalves: 'the capacity halves at 8 s',
};

/** Rounds for SVG coordinates: one decimal is plenty at this size. */
function n(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The 1-2-5 values (1, 2, 5, 10, 20, …) from the one at or below `low` to the one at or above `high`. */
function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let magnitude = 10 ** Math.floor(Math.log10(low)); magnitude <= high * 10; magnitude *= 10) {
    for (const mantissa of [1, 2, 5]) ticks.push(mantissa * magnitude);
  }
  const first = ticks.findLastIndex((tick) => tick <= low);
  const last = ticks.findIndex((tick) => tick >= high);
  return ticks.slice(Math.max(0, first), last + 1);
}

/** One panel: the ±25 % band around the capacity, the capacity, and the limit over time. */
function panel(trace: Trace, title: string, offsetY: number): string {
  const { points, scenario } = trace;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = PANEL_HEIGHT - 30;
  const durationS = scenario.durationMs / 1000;
  // A logarithmic y axis: limits span two orders of magnitude, and the ±25 % band keeps one height.
  const low = Math.min(...points.map((p) => Math.min(p.limit, 0.75 * p.capacity))) / 1.2;
  const high = Math.max(...points.map((p) => Math.max(p.limit, 1.25 * p.capacity))) * 1.1;
  const ticks = logTicks(low, high);
  const bottom = Math.log(ticks[0] ?? 1);
  const span = Math.log(ticks.at(-1) ?? 10) - bottom;
  const x = (timeMs: number) => MARGIN.left + (timeMs / scenario.durationMs) * plotWidth;
  const y = (value: number) => offsetY + plotHeight - ((Math.log(value) - bottom) / span) * plotHeight;
  const parts: string[] = [];

  parts.push(`<text x="${MARGIN.left}" y="${n(offsetY - 8)}" font-weight="600">${escapeXml(title)}</text>`);
  for (const value of ticks) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${n(y(value))}" y2="${n(y(value))}" stroke="${COLORS.grid}" stroke-width="1"/>`,
      `<text x="${MARGIN.left - 6}" y="${n(y(value) + 4)}" text-anchor="end">${value}</text>`,
    );
  }
  for (let second = 0; second <= durationS; second += 2) {
    parts.push(`<text x="${n(x(second * 1000))}" y="${n(offsetY + plotHeight + 16)}" text-anchor="middle">${second} s</text>`);
  }

  // Runs of constant capacity: a band and a dashed line each.
  let start = 0;
  for (let i = 1; i <= points.length; i++) {
    const current = points[i];
    const first = points[start];
    if (first === undefined || (current !== undefined && current.capacity === first.capacity)) continue;
    const end = points[i - 1] ?? first;
    const capacity = first.capacity;
    parts.push(
      `<rect x="${n(x(first.timeMs))}" width="${n(x(end.timeMs) - x(first.timeMs))}" y="${n(y(1.25 * capacity))}" height="${n(y(0.75 * capacity) - y(1.25 * capacity))}" fill="${COLORS.band}" fill-opacity="0.14"/>`,
      `<line x1="${n(x(first.timeMs))}" x2="${n(x(end.timeMs))}" y1="${n(y(capacity))}" y2="${n(y(capacity))}" stroke="${COLORS.capacity}" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    );
    start = i;
  }

  const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${n(x(p.timeMs))} ${n(y(p.limit))}`).join(' ');
  parts.push(`<path d="${path}" fill="none" stroke="${COLORS.limit}" stroke-width="1.6" stroke-linejoin="round"/>`);
  parts.push(
    `<rect x="${MARGIN.left}" y="${offsetY}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="${COLORS.grid}"/>`,
  );
  return parts.join('\n    ');
}

/** The whole SVG of one algorithm: a header, a legend and one panel per scenario. */
function chart(algorithm: LimitAlgorithmName, traces: ReadonlyArray<readonly [string, Trace]>): string {
  const height = MARGIN.top + traces.length * (PANEL_HEIGHT + PANEL_GAP) + MARGIN.bottom - PANEL_GAP;
  const server = DEFAULT_SERVER;
  const subtitle =
    `server: capacity ${server.capacity} calls at ${server.baseLatencyMs} ms, each call above it adds ` +
    `${n(server.baseLatencyMs * (server.steepness / server.capacity))} ms; clients time out at ${server.timeoutMs} ms`;
  const panels = traces.map(([title, trace], i) => panel(trace, title, MARGIN.top + 28 + i * (PANEL_HEIGHT + PANEL_GAP)));
  const legendY = height - 12;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height + 28}" viewBox="0 0 ${WIDTH} ${height + 28}" font-family="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12" fill="${COLORS.text}">
  <title>AdaptiveConcurrencyLimiter, algorithm ${algorithm}: limit over time</title>
  <rect width="100%" height="100%" fill="#ffffff"/>
  <text x="${MARGIN.left}" y="22" font-size="16" font-weight="600">algorithm: '${algorithm}' (defaults), limit over time (log scale)</text>
  <text x="${MARGIN.left}" y="40">${escapeXml(subtitle)}</text>
  <g>
    ${panels.join('\n  </g>\n  <g>\n    ')}
  </g>
  <g transform="translate(${MARGIN.left} ${legendY + 14})">
    <line x1="0" x2="24" y1="0" y2="0" stroke="${COLORS.limit}" stroke-width="2"/>
    <text x="30" y="4">limit</text>
    <line x1="90" x2="114" y1="0" y2="0" stroke="${COLORS.capacity}" stroke-width="1.5" stroke-dasharray="6 4"/>
    <text x="120" y="4">server capacity</text>
    <rect x="230" y="-6" width="24" height="12" fill="${COLORS.band}" fill-opacity="0.14"/>
    <text x="260" y="4">capacity ±25 %</text>
  </g>
</svg>
`;
}

async function main(): Promise<void> {
  const directory = fileURLToPath(new URL('../docs/images/', import.meta.url));
  mkdirSync(directory, { recursive: true });
  for (const algorithm of ['aimd', 'gradient2', 'vegas'] as const) {
    const runs = scenarios(algorithm);
    const traces: Array<readonly [string, Trace]> = [];
    for (const key of ['fromBelow', 'fromAbove', 'capacityHalves'] as const) {
      traces.push([TITLES[key], await simulate(runs[key])]);
    }
    const file = `${directory}adaptive-${algorithm}.svg`;
    writeFileSync(file, chart(algorithm, traces));
    console.log(`wrote ${file}`);
  }
}

await main();
