/**
 * The data model a metrics sink stores: prom-client's (counter, gauge, histogram, summary count
 * and sum; name, help, label names), plus a gauge's multiprocess mode. Shared by the Redis and
 * SQLite sinks and their collectors.
 * @module
 */

/** A metric's type, as prom-client and the Prometheus text format name it. */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

/**
 * How the collector combines one gauge series reported by several instances:
 * - `sum`, `max`, `min`: of every instance's last value;
 * - `all`: one series per instance, with `instance` and `pid` labels;
 * - `liveall`: as `all`, but only instances that wrote within the liveness window;
 * - `live`: the sum over the instances that wrote within the liveness window;
 * - `mostrecent`: the value written last (by Redis's clock), whichever instance wrote it.
 */
export type GaugeMode = 'sum' | 'max' | 'min' | 'all' | 'liveall' | 'live' | 'mostrecent';

/** Every {@link GaugeMode}. */
export const GAUGE_MODES: readonly GaugeMode[] = ['sum', 'max', 'min', 'all', 'liveall', 'live', 'mostrecent'];

/** Label values by label name. */
export type Labels = Readonly<Record<string, string | number>>;

/** What a sink needs to know about a metric to store and print it. */
export interface MetricSpec {
  /** The metric's name, printed as it is (a counter's name is not given a `_total`). */
  readonly name: string;
  /** The `# HELP` text. */
  readonly help: string;
  /** The metric's type. */
  readonly type: MetricType;
  /** Label names, in the order they are printed; labels not listed follow, sorted. @defaultValue none */
  readonly labelNames?: readonly string[];
  /** A histogram's bucket upper bounds, ascending (`+Inf` is implied). */
  readonly buckets?: readonly number[];
  /** A gauge's multiprocess mode. @defaultValue `'sum'` */
  readonly gaugeMode?: GaugeMode;
}

/** The metadata stored with a metric (field `#meta` of its hash), for the collector. */
export interface StoredMeta {
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
  readonly gaugeMode?: GaugeMode;
}

/** The field of a metric's hash that holds its {@link StoredMeta}. */
export const META_FIELD = '#meta';

/** The stored metadata of `spec`, as JSON. */
export function metaJson(spec: MetricSpec): string {
  const meta: StoredMeta = {
    type: spec.type,
    help: spec.help,
    labelNames: spec.labelNames ?? [],
    ...(spec.type === 'histogram' ? { buckets: spec.buckets ?? [] } : {}),
    ...(spec.type === 'gauge' ? { gaugeMode: spec.gaugeMode ?? 'sum' } : {}),
  };
  return JSON.stringify(meta);
}

/**
 * The canonical JSON of a series' labels: the declared label names first, in their order, then
 * any others sorted, every value a string. Every process that declares the same label names
 * writes the same text for the same series, so their increments land on one field.
 */
export function labelsJson(labelNames: readonly string[], labels: Labels | undefined): string {
  if (labels === undefined) return '{}';
  const ordered: Record<string, string> = {};
  for (const name of labelNames) {
    const value = labels[name];
    if (value !== undefined) ordered[name] = String(value);
  }
  for (const name of Object.keys(labels).sort()) {
    if (!(name in ordered)) ordered[name] = String(labels[name]);
  }
  return JSON.stringify(ordered);
}

/** How a histogram bucket's bound is printed in its `le` label, as prom-client prints it. */
export function boundText(bound: number): string {
  return bound === Number.POSITIVE_INFINITY ? '+Inf' : String(bound);
}

/**
 * Field names of a metric's hash (and subkeys of the SQLite table): `suffix:labelsJSON`. A
 * gauge's series is per instance: `_gauge:[instanceId,pid,labels]`, with `_time:` and the same
 * JSON holding when it was last written (ms).
 */
export const Field = {
  total: '_total:',
  created: '_created:',
  bucket: '_bucket:',
  sum: '_sum:',
  count: '_count:',
  gauge: '_gauge:',
  time: '_time:',
} as const;

/** The JSON that identifies one instance's gauge series (after {@link Field.gauge} or {@link Field.time}). */
export function gaugeSeriesJson(instanceId: string, pid: number, labels: string): string {
  return `[${JSON.stringify(instanceId)},${pid},${labels}]`;
}

/** A histogram bucket's labels JSON: the series' labels with `le` last. */
export function bucketJson(labels: string, bound: number): string {
  const le = `"le":${JSON.stringify(boundText(bound))}`;
  return labels === '{}' ? `{${le}}` : `${labels.slice(0, -1)},${le}}`;
}
