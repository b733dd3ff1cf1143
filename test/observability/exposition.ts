/**
 * A strict reader of the Prometheus text exposition format 0.0.4: it throws on any line the
 * format does not allow, so that a test that reads an exposition also checks it.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

/** One sample: its metric name (with suffix), labels and value. */
export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One metric family: its type, help and samples. */
export interface ParsedFamily {
  readonly type: string;
  readonly help: string;
  readonly samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<string, readonly string[]> = {
  counter: [''],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count'],
};

/** Parses `text` into families by name; throws on anything the format does not allow. */
export function parseExposition(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the exposition must end with a newline');
  for (const line of lines) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const [, name = '', help = ''] = /^# HELP (\S+) (.*)$/.exec(line) ?? [];
      if (!NAME.test(name)) throw new Error(`bad HELP line: ${line}`);
      if (families.has(name)) throw new Error(`HELP for ${name} after its samples or twice`);
      families.set(name, { type: 'untyped', help, samples: [] });
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [, name = '', type = ''] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? [];
      const family = families.get(name);
      if (family === undefined || family.samples.length > 0) throw new Error(`TYPE line out of place: ${line}`);
      families.set(name, { ...family, type });
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line);
    const family = [...families.entries()].find(([name, f]) =>
      (SUFFIXES[f.type] ?? ['']).some((suffix) => sample.name === name + suffix),
    );
    if (family === undefined) throw new Error(`sample without its family: ${line}`);
    family[1].samples.push(sample);
  }
  return families;
}

function parseSample(line: string): ParsedSample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
  if (match === null) throw new Error(`bad sample line: ${line}`);
  const [, name = '', rawLabels, rawValue = ''] = match;
  const labels: Record<string, string> = {};
  let rest = rawLabels ?? '';
  while (rest !== '') {
    const label = /^([^=]+)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
    if (label === null || !LABEL.test(label[1] ?? '')) throw new Error(`bad labels in: ${line}`);
    labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(label[0].length);
  }
  const value = rawValue === '+Inf' ? Infinity : rawValue === '-Inf' ? -Infinity : Number(rawValue);
  if (Number.isNaN(value) && rawValue !== 'NaN') throw new Error(`bad value in: ${line}`);
  return { name, labels, value };
}

/** The value of the one sample of `name` with exactly `labels`; throws unless exactly one matches. */
export function sampleValue(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string>): number {
  const matches = [...families.values()]
    .flatMap((family) => family.samples)
    .filter((s) => s.name === name && Object.keys(s.labels).length === Object.keys(labels).length)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${matches.length}`);
  return (matches[0] as ParsedSample).value;
}

/** Checks each histogram's buckets: cumulative, ending in `+Inf`, which equals `_count`. */
export function checkHistograms(families: Map<string, ParsedFamily>): void {
  for (const [name, family] of families) {
    if (family.type !== 'histogram') continue;
    const bySeries = new Map<string, ParsedSample[]>();
    for (const sample of family.samples) {
      const { le, ...rest } = sample.labels;
      const key = JSON.stringify(rest);
      if (sample.name === `${name}_bucket` && le === undefined) throw new Error(`${name}: bucket without le`);
      bySeries.set(key, [...(bySeries.get(key) ?? []), sample]);
    }
    for (const [key, samples] of bySeries) {
      const buckets = samples.filter((s) => s.name === `${name}_bucket`);
      for (let i = 1; i < buckets.length; i++) {
        if ((buckets[i] as ParsedSample).value < (buckets[i - 1] as ParsedSample).value) throw new Error(`${name}${key}: buckets not cumulative`);
      }
      const inf = buckets.at(-1);
      const count = samples.find((s) => s.name === `${name}_count`);
      if (inf?.labels['le'] !== '+Inf' || count === undefined || inf.value !== count.value) {
        throw new Error(`${name}${key}: the +Inf bucket must end the buckets and equal _count`);
      }
    }
  }
}
