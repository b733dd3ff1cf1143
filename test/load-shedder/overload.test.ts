/**
 * The LoadShedder under sustained open-loop overload, in bench:overload's model: a dependency of
 * 20 calls at once at 20 ms (1,000 calls/s), requests arriving at random instants (seeded) at 2×
 * and 4× that rate, on a clock of the simulation's own (1 ms steps). Without a queue, a slot that
 * frees between two arrivals stays idle until the next one; the default queue (a tenth of
 * `maxInFlight`) hands it to a waiting call at once, for a few ms of waiting.
 */
import { describe, expect, it } from 'vitest';
import { LoadShedder, type LoadShedderOptions } from '../../src/load-shedder/index';
import { arrivalCounter, lagSampler, OVERLOAD_SERVER } from '../adaptive-concurrency/overload-simulation';
import { flushPromises } from '../support/async';

const DURATION_MS = 20_000;
const WARMUP_MS = 2_000;
const SERVED_PER_S = 1_000;

interface Outcome {
  /** Successes within the deadline per second, after the warm-up, as a fraction of what the dependency serves. */
  readonly goodput: number;
  readonly p99: number;
}

/**
 * Runs `options` (with `maxInFlight` 20) at `load` times the dependency's rate for 20 simulated
 * seconds; each call lags by `lagMs` on average besides (see overload-simulation.ts).
 */
async function simulateShedder(options: Omit<LoadShedderOptions, 'maxInFlight'>, load: number, lagMs = 0): Promise<Outcome> {
  const { capacity, baseLatencyMs, deadlineMs } = OVERLOAD_SERVER;
  const shedder = new LoadShedder({ registry: false, maxInFlight: capacity, ...options });
  const arrivals = arrivalCounter('random', (load * capacity) / baseLatencyMs);
  const lag = lagSampler(lagMs);
  const endings = new Map<number, Array<() => void>>();
  const latencies: number[] = [];
  let now = 0;
  let active = 0;
  const dependency = () =>
    new Promise<void>((resolve) => {
      const endsAt = now + Math.ceil(baseLatencyMs * Math.max(1, ++active / capacity) + lag());
      const bucket = endings.get(endsAt) ?? [];
      bucket.push(() => {
        active--;
        resolve();
      });
      endings.set(endsAt, bucket);
    });
  for (; now < DURATION_MS; now++) {
    for (const end of endings.get(now) ?? []) end();
    endings.delete(now);
    await flushPromises();
    for (let count = arrivals(now); count > 0; count--) {
      const arrivedAt = now;
      shedder.execute(dependency).then(
        () => {
          if (arrivedAt >= WARMUP_MS && now - arrivedAt <= deadlineMs) latencies.push(now - arrivedAt);
        },
        () => undefined,
      );
    }
    await flushPromises();
  }
  latencies.sort((a, b) => a - b);
  const seconds = (DURATION_MS - WARMUP_MS) / 1_000;
  return { goodput: latencies.length / seconds / SERVED_PER_S, p99: latencies[Math.floor(latencies.length * 0.99)] as number };
}

describe('LoadShedder under sustained open-loop overload (capacity 20, 1,000 calls/s, random arrivals)', () => {
  it.each([2, 4])('keeps at least 99 percent of the capacity at %d× with the defaults, p99 within 1.5× the base latency', async (load) => {
    const { goodput, p99 } = await simulateShedder({}, load);
    expect(goodput).toBeGreaterThanOrEqual(0.99);
    expect(p99).toBeLessThanOrEqual(1.5 * OVERLOAD_SERVER.baseLatencyMs);
  });

  it('without a queue leaves the slots freed between arrivals idle: less goodput at 2×, the base latency', async () => {
    const { goodput, p99 } = await simulateShedder({ maxQueue: 0 }, 2);
    expect(goodput).toBeLessThan(0.98);
    expect(p99).toBe(OVERLOAD_SERVER.baseLatencyMs);
  });

  it('serves what its slots can once every call lags by about 1 ms, and a longer queue serves no more', async () => {
    // A lag of 0.5 ms on average makes a call 21.16 ms on average in whole ms: 20 slots serve 94.5 % of 1,000 calls/s.
    const ceiling = 20 / 21.16;
    const byDefault = await simulateShedder({}, 2, 0.5);
    const longer = await simulateShedder({ maxQueue: 4 }, 2, 0.5);
    expect(byDefault.goodput).toBeGreaterThanOrEqual(ceiling - 0.005);
    expect(longer.goodput).toBeLessThanOrEqual(ceiling);
    expect(longer.goodput - byDefault.goodput).toBeLessThan(0.005);
    expect(longer.p99).toBeGreaterThan(byDefault.p99);
  });
});
