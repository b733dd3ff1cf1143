import type { Redis } from 'ioredis';
import { deleteUnder } from '../support';

/** Every key a metrics sink wrote under `prefix` (they all start with the hash tag `{prefix}`). */
export function deleteMetrics(redis: Redis, prefix: string): Promise<void> {
  return deleteUnder(redis, `{${prefix}}`);
}

/**
 * The sample lines of a Prometheus text exposition, sorted, without `_created` samples and (when
 * `quantiles` is false) without summary quantile samples, which a sink does not keep; `# HELP`
 * and `# TYPE` lines are kept.
 */
export function sortedLines(text: string, { quantiles = true } = {}): string[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:]*_created[{ ]/.test(line))
    .filter((line) => quantiles || !/[{,]quantile="/.test(line))
    .sort();
}

/** The value of each series (`name{labels}`) of a Prometheus text exposition. */
export function samples(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}
