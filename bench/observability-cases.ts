/**
 * The row that prices the Prometheus exporter: a call through a closed CircuitBreaker (consecutive
 * mode, as in `breaker-consecutive`) while `registerMetrics` from `bulwark/prometheus` is
 * registered on a prom-client registry. The exporter is registered in the row's `setup` and
 * disposed in its `teardown`, so that no other row pays for it. With it, every breaker call reads
 * the clock twice and emits its `success` event, which the exporter adds to its in-process totals.
 * @module
 */
import { Registry as PromRegistry } from 'prom-client';
import type { BulwarkModule } from './bulwark';
import type { BenchCase, Group } from './cases';

/** Id of the group whose row is a closed-breaker call with the Prometheus exporter registered. */
export const BREAKER_PROMETHEUS_GROUP = 'breaker-prometheus';

/** The groups of this module, in display order. */
export const OBSERVABILITY_GROUPS: readonly Group[] = [
  {
    id: BREAKER_PROMETHEUS_GROUP,
    label: 'breaker closed, prom exporter',
    description:
      "bulwark `new CircuitBreaker()` as in `breaker-consecutive`, with `registerMetrics({ registry })` (bulwark/prometheus) on a prom-client `Registry`. No peer: compare with `breaker-consecutive` (goal: the exporter's overhead ≤ 2× the bare breaker's)",
  },
];

/** The rows of {@link OBSERVABILITY_GROUPS}, or none (and a note) when the measured bulwark has no prometheus entry. */
export function observabilityCases(bulwark: BulwarkModule, notes: string[]): BenchCase[] {
  const prometheus = bulwark.prometheus;
  if (prometheus === undefined) {
    notes.push(`${BREAKER_PROMETHEUS_GROUP} skipped: the measured bulwark has no prometheus entry`);
    return [];
  }
  const breaker = new bulwark.CircuitBreaker({ name: 'bench-breaker-prometheus', registry: false });
  const registry = new PromRegistry();
  let exporter: { dispose(): void } | undefined;
  const operation = async (): Promise<number> => 1;
  return [
    {
      group: BREAKER_PROMETHEUS_GROUP,
      library: 'bulwark',
      fn: () => breaker.execute(operation),
      setup: () => {
        exporter = prometheus.registerMetrics({ registry });
      },
      verify: async () => {
        await breaker.execute(operation);
        if (!(await registry.metrics()).includes('name="bench-breaker-prometheus",outcome="success"')) {
          throw new Error(`bench: ${BREAKER_PROMETHEUS_GROUP}: the exporter did not count the breaker's calls`);
        }
      },
      teardown: () => {
        exporter?.dispose();
        exporter = undefined;
      },
    },
  ];
}
