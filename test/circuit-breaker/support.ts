import { CircuitBreaker, type CircuitBreakerOptions, type StateChangeEvent } from '../../src/index';
import { ManualClock } from '../support/manual-clock';

/** A breaker on a manual clock, outside the default registry, recording its transitions. */
export function breakerOnClock(options: CircuitBreakerOptions = {}) {
  const clock = new ManualClock();
  const breaker = new CircuitBreaker({ registry: false, clock, ...options });
  const transitions: Array<Pick<StateChangeEvent, 'from' | 'to' | 'reason'>> = [];
  breaker.events.on('stateChange', ({ from, to, reason }) => transitions.push({ from, to, reason }));
  return { clock, breaker, transitions };
}

export const succeed = () => Promise.resolve('ok');
export const fail = () => Promise.reject(new Error('dependency failed'));

/** Runs `fn` through the breaker and reports how it ended. */
export async function outcome(breaker: CircuitBreaker, fn: () => Promise<unknown>): Promise<'success' | 'failure' | 'rejected'> {
  try {
    await breaker.execute(fn);
    return 'success';
  } catch (error) {
    return (error as { code?: string } | null)?.code === 'CIRCUIT_OPEN' ? 'rejected' : 'failure';
  }
}

/** Resolves after `ms` of the manual clock has passed (the clock must be advanced). */
export function after(clock: ManualClock, ms: number, value: unknown = 'ok', failWith?: Error): () => Promise<unknown> {
  return () => clock.sleep(ms).then(() => (failWith === undefined ? value : Promise.reject(failWith)));
}
