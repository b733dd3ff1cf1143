import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import * as adaptive from '../../src/adaptive-concurrency/index';
import { ConcurrencyLimitError } from '../../src/index';
import { limiterOnClock } from './support';
import { isSettled } from '../support/async';

describe('ConcurrencyPermit', () => {
  it('holds a slot from acquire to release; releasing twice is a no-op', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1 });
    const permit = await limiter.acquire();
    expect(limiter.inFlight).toBe(1);
    expect(permit.released).toBe(false);
    await expect(limiter.acquire()).rejects.toBeInstanceOf(ConcurrencyLimitError);
    permit.release('success');
    permit.release('dropped');
    expect(permit.released).toBe(true);
    expect(limiter.inFlight).toBe(0);
    expect(limiter.stats()).toMatchObject({ admitted: 1, rejected: 1, successes: 1, drops: 0 });
  });

  it('is released as ignored when an await using block ends without a release', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1 });
    {
      await using permit = await limiter.acquire();
      expect(permit.released).toBe(false);
      expect(limiter.inFlight).toBe(1);
    }
    expect(limiter.inFlight).toBe(0);
    expect(limiter.stats()).toMatchObject({ ignored: 1, successes: 0 });
  });

  it('keeps an explicit release inside an await using block, also when the block throws', async () => {
    const { limiter } = limiterOnClock({ initialLimit: 1, failureThreshold: 100 });
    const failure = new Error('write failed');
    const write = async () => {
      await using permit = await limiter.acquire();
      permit.release('dropped');
      throw failure;
    };
    await expect(write()).rejects.toBe(failure);
    expect(limiter.stats()).toMatchObject({ inFlight: 0, drops: 1, ignored: 0 });
  });

  it('is released as ignored by [Symbol.asyncDispose] called directly, once', async () => {
    const { limiter } = limiterOnClock();
    const permit = await limiter.acquire();
    await permit[Symbol.asyncDispose]();
    await permit[Symbol.asyncDispose]();
    expect(limiter.stats()).toMatchObject({ inFlight: 0, ignored: 1 });
  });

  it('throws a TypeError for an unknown outcome and stays held', async () => {
    const { limiter } = limiterOnClock();
    const permit = await limiter.acquire();
    expect(() => permit.release('succeeded' as never)).toThrow(TypeError);
    expect(() => permit.release('toString' as never)).toThrow(TypeError);
    expect(permit.released).toBe(false);
    expect(limiter.inFlight).toBe(1);
    permit.release('ignored');
  });

  it('measures the round trip from acquire to release', async () => {
    const { limiter, clock, changes } = limiterOnClock({
      algorithm: 'vegas',
      initialLimit: 10,
      minWindowMs: 0,
      windowSize: 1,
      random: () => 0.999,
    });
    const roundTrip = async (ms: number) => {
      const permits = await Promise.all(Array.from({ length: 10 }, () => limiter.acquire()));
      await clock.advance(ms);
      for (const permit of permits) permit.release('success');
      await clock.advance(2 * ms);
    };
    // A sampling window closes with the first release of the next round.
    await roundTrip(10); // the first release sets the no-load round trip: 10 ms
    await roundTrip(10); // closes a window of 10 ms round trips: no queueing, grows
    expect(changes).toEqual([{ from: 10, to: 16, reason: 'latency' }]);
    await roundTrip(40);
    await roundTrip(40); // closes a window of 40 ms round trips: queue ⌈16 × 0.75⌉ = 12 > beta 6, shrinks
    expect(changes.at(-1)).toEqual({ from: 16, to: 15, reason: 'latency' });
  });

  it('waits for a slot with maxWaitMs, and leaves the queue at once when the caller aborts', async () => {
    const { limiter, clock } = limiterOnClock({ initialLimit: 1, maxWaitMs: 1_000 });
    const holder = await limiter.acquire();
    const controller = new AbortController();
    const abandoned = limiter.acquire({ signal: controller.signal });
    const patient = limiter.acquire();
    controller.abort(new Error('gone'));
    await expect(abandoned).rejects.toThrow('gone');
    expect(await isSettled(patient)).toBe(false);
    holder.release('success');
    const permit = await patient;
    expect(limiter.inFlight).toBe(1);
    permit.release('success');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('await using compiled by the TypeScript compiler', () => {
  const source = `
    import { AdaptiveConcurrencyLimiter } from 'bulwark';
    export async function run(limiter: AdaptiveConcurrencyLimiter, log: string[]): Promise<void> {
      {
        await using permit = await limiter.acquire();
        log.push('inside: ' + limiter.inFlight);
      }
      log.push('after: ' + limiter.inFlight);
      await using released = await limiter.acquire();
      released.release('success');
      log.push('released: ' + limiter.inFlight);
    }
  `;

  it('compiles with no diagnostics and releases the permit when the block ends', async () => {
    const output = ts.transpileModule(source, {
      compilerOptions: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
        strict: true,
      },
      reportDiagnostics: true,
    });
    expect(output.diagnostics ?? []).toEqual([]);
    expect(output.outputText).toContain('__addDisposableResource');
    const module = { exports: {} as Record<string, unknown> };
    const requireShim = (id: string) => {
      if (id === 'bulwark') return adaptive;
      throw new Error(`unexpected import ${id}`);
    };
    new Function('require', 'module', 'exports', output.outputText)(requireShim, module, module.exports);
    const run = module.exports['run'] as (limiter: adaptive.AdaptiveConcurrencyLimiter, log: string[]) => Promise<void>;
    const { limiter } = limiterOnClock();
    const log: string[] = [];
    await run(limiter, log);
    expect(log).toEqual(['inside: 1', 'after: 0', 'released: 0']);
    expect(limiter.stats()).toMatchObject({ inFlight: 0, ignored: 1, successes: 1 });
  });
});
