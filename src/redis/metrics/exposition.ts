/**
 * Prints stored metrics in the Prometheus text exposition format (version 0.0.4), combining every
 * instance's writes: counters, histograms and summaries as summed in storage, gauges by their
 * multiprocess mode.
 * @module
 * @internal
 */
import { Field, META_FIELD, type GaugeMode, type StoredMeta } from './model';

/** One metric as read from storage: its name and every field of its hash (or rows of its table). */
export interface StoredMetric {
  readonly name: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** When "now" is and how recent a gauge write must be to count as live. */
export interface GaugeClock {
  /** The current time of the store's clock, in ms. */
  readonly nowMs: number;
  /** Instances whose last write of a series is older than this are left out by the `live` modes. */
  readonly livenessMs: number;
}

/** The Prometheus text of `metrics` (sorted by name), ending with a newline; empty when there are none. */
export function exposition(metrics: readonly StoredMetric[], clock: GaugeClock): string {
  const blocks: string[] = [];
  for (const metric of [...metrics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const block = metricBlock(metric, clock);
    if (block !== undefined) blocks.push(block);
  }
  return blocks.length === 0 ? '' : `${blocks.join('\n\n')}\n`;
}

function metricBlock({ name, fields }: StoredMetric, clock: GaugeClock): string | undefined {
  const metaText = fields[META_FIELD];
  if (metaText === undefined) return undefined;
  const meta = JSON.parse(metaText) as StoredMeta;
  const lines = [`# HELP ${name} ${escapeHelp(meta.help)}`, `# TYPE ${name} ${meta.type}`];
  const entries = Object.entries(fields)
    .filter(([field]) => field !== META_FIELD)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (meta.type === 'gauge') lines.push(...gaugeLines(name, meta.gaugeMode ?? 'sum', entries, clock));
  else lines.push(...cumulativeLines(name, meta, entries));
  return lines.join('\n');
}

/** Counters, histograms and summaries: every field is already the sum over all instances. */
function cumulativeLines(name: string, meta: StoredMeta, entries: ReadonlyArray<[string, string]>): string[] {
  const created = `${name.endsWith('_total') ? name.slice(0, -'_total'.length) : name}_created`;
  const samples: string[] = [];
  const buckets: Array<{ series: string; bound: number; line: string }> = [];
  for (const [field, value] of entries) {
    const colon = field.indexOf(':');
    const suffix = field.slice(0, colon + 1);
    const labels = JSON.parse(field.slice(colon + 1)) as Record<string, string>;
    if (suffix === Field.bucket) {
      const { le = '+Inf', ...series } = labels;
      const line = `${name}_bucket${labelText({ le, ...series })} ${valueText(value)}`;
      buckets.push({ series: JSON.stringify(series), bound: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), line });
    } else if (suffix === Field.total && meta.type === 'counter') {
      samples.push(`${name}${labelText(labels)} ${valueText(value)}`);
    } else if (suffix === Field.created) {
      samples.push(`${created}${labelText(labels)} ${valueText(value)}`);
    } else if (suffix === Field.sum || suffix === Field.count) {
      samples.push(`${name}${suffix.slice(0, -1)}${labelText(labels)} ${valueText(value)}`);
    }
  }
  buckets.sort((a, b) => (a.series < b.series ? -1 : a.series > b.series ? 1 : a.bound - b.bound));
  return [...buckets.map((bucket) => bucket.line), ...samples];
}

interface GaugeWrite {
  instance: string;
  pid: number;
  labels: Record<string, string>;
  value: number;
  timeMs: number;
}

function gaugeLines(name: string, mode: GaugeMode, entries: ReadonlyArray<[string, string]>, clock: GaugeClock): string[] {
  const times = new Map<string, number>();
  for (const [field, value] of entries) {
    if (field.startsWith(Field.time)) times.set(field.slice(Field.time.length), Number(value));
  }
  const bySeries = new Map<string, GaugeWrite[]>();
  for (const [field, value] of entries) {
    if (!field.startsWith(Field.gauge)) continue;
    const id = field.slice(Field.gauge.length);
    const [instance, pid, labels] = JSON.parse(id) as [string, number, Record<string, string>];
    const write = { instance, pid, labels, value: Number(value), timeMs: times.get(id) ?? 0 };
    const series = JSON.stringify(labels);
    const writes = bySeries.get(series);
    if (writes === undefined) bySeries.set(series, [write]);
    else writes.push(write);
  }
  const lines: string[] = [];
  const oldestLive = clock.nowMs - clock.livenessMs;
  for (const writes of bySeries.values()) {
    const live = mode === 'live' || mode === 'liveall' ? writes.filter((write) => write.timeMs >= oldestLive) : writes;
    if (live.length === 0) continue;
    const labels = (live[0] as GaugeWrite).labels;
    if (mode === 'all' || mode === 'liveall') {
      for (const write of live) {
        lines.push(`${name}${labelText({ ...labels, instance: write.instance, pid: String(write.pid) })} ${numberText(write.value)}`);
      }
      continue;
    }
    lines.push(`${name}${labelText(labels)} ${numberText(combine(mode, live))}`);
  }
  return lines;
}

function combine(mode: Exclude<GaugeMode, 'all' | 'liveall'>, writes: readonly GaugeWrite[]): number {
  const values = writes.map((write) => write.value);
  switch (mode) {
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'mostrecent':
      return writes.reduce((latest, write) => (write.timeMs > latest.timeMs ? write : latest)).value;
    default:
      return values.reduce((sum, value) => sum + value, 0);
  }
}

function labelText(labels: Readonly<Record<string, string>>): string {
  const parts = Object.entries(labels).map(([label, value]) => `${label}="${escapeLabelValue(value)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function valueText(stored: string): string {
  return numberText(Number(stored));
}

/** A sample value as the text format writes it (`NaN`, `+Inf`, `-Inf`, or the shortest decimal). */
function numberText(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
