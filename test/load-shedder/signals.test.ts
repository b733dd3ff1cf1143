import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLogger, systemClock, type Clock, type TimerHandle } from '../../src/index';
import { LoadShedder, type LoadSignalsOptions, type LoadShedderRejectedEvent } from '../../src/load-shedder/index';
import { ManualClock } from '../support/manual-clock';
import { FakeSignals, HeldCalls, outcome, shedderOnClock, TIERED_THRESHOLDS } from './support';

afterEach(() => setLogger());

const run = promisify(execFile);

/** A shedder watching fake signals sampled every 100 ms of a manual clock. */
function watching(signals: Omit<LoadSignalsOptions, 'source'>, maxInFlight = 100) {
  const source = new FakeSignals();
  const setup = shedderOnClock({ maxInFlight, priorityThresholds: TIERED_THRESHOLDS, signals: { sampleIntervalMs: 100, source, ...signals } });
  return { ...setup, source };
}

async function admittedPriorities(shedder: LoadShedder): Promise<string[]> {
  const admitted: string[] = [];
  for (const priority of ['low', 'normal', 'high', 'critical'] as const) {
    if ((await outcome(shedder.execute(() => 'ran', { priority }))) === 'ran') admitted.push(priority);
  }
  return admitted;
}

describe('LoadShedder load signals', () => {
  it('sheds low first and critical last as the sampled event-loop delay rises toward its maximum', async () => {
    const { shedder, clock, source, levels } = watching({ maxEventLoopDelayMs: 100 });
    const seen: Array<[number, string, string[]]> = [];
    for (const delayMs of [40, 50, 75, 90, 100, 20]) {
      source.delayMs = delayMs;
      await clock.advance(100);
      seen.push([delayMs, shedder.loadLevel, await admittedPriorities(shedder)]);
    }
    expect(seen).toEqual([
      [40, 'normal', ['low', 'normal', 'high', 'critical']],
      [50, 'elevated', ['normal', 'high', 'critical']],
      [75, 'high', ['high', 'critical']],
      [90, 'critical', ['critical']],
      [100, 'critical', []],
      [20, 'normal', ['low', 'normal', 'high', 'critical']],
    ]);
    expect(levels).toEqual([
      ['normal', 'elevated'],
      ['elevated', 'high'],
      ['high', 'critical'],
      ['critical', 'normal'],
    ]);
    expect(shedder.stats().rejectedByReason).toEqual({ capacity: 0, signals: 1 + 2 + 3 + 4, queueTimeout: 0, deadline: 0 });
    shedder.dispose();
  });

  it('sheds with reason signals, the level, and the retryAfterMs hint', async () => {
    const { shedder, clock, source } = watching({ maxEventLoopUtilization: 0.8 });
    const events: LoadShedderRejectedEvent[] = [];
    shedder.events.on('rejected', (e) => events.push(e));
    source.utilization = 0.7;
    await clock.advance(100);
    const error = await shedder.execute(() => 'never', { priority: 'normal' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'LOAD_SHED', reason: 'signals', loadLevel: 'high', retryAfterMs: 1_000 });
    expect(events).toMatchObject([{ priority: 'normal', reason: 'signals', loadLevel: 'high', inFlight: 0, queued: 0 }]);
    shedder.dispose();
  });

  it('takes the highest pressure of the configured signals, and combines it with the occupancy', async () => {
    const { shedder, clock, source } = watching({ maxEventLoopDelayMs: 200, maxEventLoopUtilization: 1, maxHeapUsedRatio: 0.8 }, 10);
    source.delayMs = 20;
    source.utilization = 0.3;
    source.heapRatio = 0.4;
    await clock.advance(100);
    expect(shedder.stats()).toMatchObject({
      loadLevel: 'elevated',
      signalPressure: 0.5,
      signals: { eventLoopDelayMs: 20, eventLoopUtilization: 0.3, heapUsedRatio: 0.4 },
    });
    const calls = new HeldCalls();
    for (let i = 0; i < 8; i++) void shedder.execute(calls.hold(), { priority: 'critical' });
    expect(shedder.loadLevel).toBe('high');
    expect(await outcome(shedder.execute(() => 'ran', { priority: 'normal' }))).toBe('shed');
    expect(shedder.stats().rejectedByReason).toMatchObject({ capacity: 1, signals: 0 });
    await calls.release(8);
    shedder.dispose();
  });

  it('starts only the configured signals, samples them every sampleIntervalMs, and runs no timer without signals', async () => {
    const { shedder, clock, source } = watching({ maxHeapUsedRatio: 0.9 });
    expect(source.started).toEqual(['heapUsedRatio']);
    expect(shedder.stats().signals).toEqual({ eventLoopDelayMs: null, eventLoopUtilization: null, heapUsedRatio: null });
    await clock.advance(99);
    expect(source.reads).toBe(0);
    await clock.advance(1);
    expect(source.reads).toBe(1);
    await clock.advance(300);
    expect(source.reads).toBe(4);
    expect(shedder.stats().signals).toEqual({ eventLoopDelayMs: null, eventLoopUtilization: null, heapUsedRatio: 0 });
    shedder.dispose();

    const quiet = shedderOnClock({ maxInFlight: 10 });
    expect(quiet.clock.pendingTimers).toBe(0);
    await quiet.shedder.execute(() => 'ran', { priority: 'low' });
    expect(quiet.clock.pendingTimers).toBe(0);
    expect(quiet.shedder.stats().signalPressure).toBe(0);
  });

  it('stops the timer and the readers on dispose, forgets the sample and admits by occupancy alone', async () => {
    const { shedder, clock, source, levels } = watching({ maxEventLoopDelayMs: 100, maxEventLoopUtilization: 0.9 });
    source.delayMs = 95;
    await clock.advance(100);
    expect(shedder.loadLevel).toBe('critical');
    await shedder[Symbol.asyncDispose]();
    shedder.dispose();
    expect(clock.pendingTimers).toBe(0);
    expect(source.stopped).toEqual(['eventLoopDelay', 'eventLoopUtilization']);
    expect(shedder.loadLevel).toBe('normal');
    expect(levels.at(-1)).toEqual(['critical', 'normal']);
    expect(shedder.stats()).toMatchObject({
      signalPressure: 0,
      signals: { eventLoopDelayMs: null, eventLoopUtilization: null, heapUsedRatio: null },
    });
    const reads = source.reads;
    await clock.advance(1_000);
    expect(source.reads).toBe(reads);
    expect(await admittedPriorities(shedder)).toEqual(['low', 'normal', 'high', 'critical']);
  });

  it('is disposed by await using when its block ends, and its health follows the level back to normal', async () => {
    const source = new FakeSignals();
    const clock = new ManualClock();
    let disposed: LoadShedder | undefined;
    {
      await using shedder = new LoadShedder({
        registry: false,
        clock,
        maxInFlight: 10,
        priorityThresholds: TIERED_THRESHOLDS,
        signals: { maxEventLoopDelayMs: 100, sampleIntervalMs: 100, source },
      });
      disposed = shedder;
      source.delayMs = 80;
      await clock.advance(100);
      expect(shedder.health()).toEqual({ state: 'high', healthy: false });
      expect(source.stopped).toEqual([]);
    }
    expect(source.stopped).toEqual(['eventLoopDelay']);
    expect(clock.pendingTimers).toBe(0);
    expect(disposed.loadLevel).toBe('normal');
    expect(disposed.health()).toEqual({ state: 'normal', healthy: true });
  });

  it('schedules no further sample when a listener disposes the shedder during one', async () => {
    const { shedder, clock, source } = watching({ maxEventLoopDelayMs: 100 });
    shedder.events.on('loadLevelChange', ({ to }) => {
      if (to === 'critical') shedder.dispose();
    });
    source.delayMs = 100;
    await clock.advance(100);
    expect(clock.pendingTimers).toBe(0);
    expect(source.stopped).toEqual(['eventLoopDelay']);
  });

  it('logs a reader that throws or returns no number, and keeps its previous reading', async () => {
    const error = vi.fn();
    setLogger({ error, warn: vi.fn(), info: vi.fn(), debug: vi.fn() });
    const { shedder, clock, source } = watching({ maxEventLoopDelayMs: 100 });
    source.delayMs = 60;
    await clock.advance(100);
    const broke = new Error('probe broke');
    source.failWith = broke;
    await clock.advance(100);
    source.failWith = undefined;
    source.delayMs = Number.NaN;
    await clock.advance(100);
    expect(error.mock.calls).toEqual([
      [expect.objectContaining({ err: broke, signal: 'eventLoopDelayMs' }), expect.stringContaining('previous reading stands')],
      [
        expect.objectContaining({ err: new TypeError('read() returned NaN'), signal: 'eventLoopDelayMs' }),
        expect.stringContaining('previous reading stands'),
      ],
    ]);
    expect(shedder.stats()).toMatchObject({ loadLevel: 'elevated', signals: { eventLoopDelayMs: 60 } });
    shedder.dispose();
  });

  it('logs a reader that fails to stop, and still stops the others and the timer', async () => {
    const error = vi.fn();
    setLogger({ error, warn: vi.fn(), info: vi.fn(), debug: vi.fn() });
    const { shedder, clock, source } = watching({ maxEventLoopDelayMs: 100, maxHeapUsedRatio: 0.9 });
    source.failStopWith = new Error('stuck');
    shedder.dispose();
    expect(source.stopped).toEqual(['eventLoopDelay', 'heapUsedRatio']);
    expect(clock.pendingTimers).toBe(0);
    expect(error).toHaveBeenCalledTimes(2);
    expect(error).toHaveBeenCalledWith(expect.objectContaining({ err: source.failStopWith }), expect.stringContaining('failed to stop'));
  });

  it('lets calls already queued run when the signals rise: admission is decided on arrival', async () => {
    const source = new FakeSignals();
    const { shedder, clock } = shedderOnClock({ maxInFlight: 1, maxQueue: 3, signals: { maxEventLoopDelayMs: 100, sampleIntervalMs: 100, source } });
    const calls = new HeldCalls();
    void shedder.execute(calls.hold(), { priority: 'critical' });
    const queued = shedder.execute(() => 'ran', { priority: 'low' });
    source.delayMs = 100;
    await clock.advance(100);
    expect(shedder.loadLevel).toBe('critical');
    await calls.release();
    await expect(queued).resolves.toBe('ran');
    shedder.dispose();
  });
});

describe('LoadShedder with the real Node signals', () => {
  it("samples them on an unref'd timer that dispose() clears", async () => {
    const handles: TimerHandle[] = [];
    const cleared: TimerHandle[] = [];
    const recording: Clock = {
      ...systemClock,
      setTimeout: (callback, ms) => {
        const handle = systemClock.setTimeout(callback, ms);
        handles.push(handle);
        return handle;
      },
      clearTimeout: (handle) => {
        cleared.push(handle);
        systemClock.clearTimeout(handle);
      },
    };
    const shedder = new LoadShedder({
      registry: false,
      clock: recording,
      maxInFlight: 10,
      signals: { maxEventLoopDelayMs: 10_000, maxEventLoopUtilization: 1, maxHeapUsedRatio: 1, sampleIntervalMs: 2 },
    });
    await vi.waitFor(() => expect(handles.length).toBeGreaterThanOrEqual(3), { timeout: 2_000, interval: 1 });
    const { signals, signalPressure } = shedder.stats();
    expect(signals.eventLoopDelayMs).toBeGreaterThanOrEqual(0);
    expect(signals.eventLoopUtilization).toBeGreaterThanOrEqual(0);
    expect(signals.eventLoopUtilization).toBeLessThanOrEqual(1);
    expect(signals.heapUsedRatio).toBeGreaterThan(0);
    expect(signals.heapUsedRatio).toBeLessThan(1);
    expect(signalPressure).toBeGreaterThan(0);
    for (const handle of handles) expect((handle as NodeJS.Timeout).hasRef()).toBe(false);
    shedder.dispose();
    expect(cleared).toEqual([handles.at(-1)]);
    const scheduled = handles.length;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(handles).toHaveLength(scheduled);
    expect(shedder.stats().signals.heapUsedRatio).toBeNull();
  });

  it('lets the process exit while it samples them, undisposed', async () => {
    const fixture = fileURLToPath(new URL('./exits-while-sampling.fixture.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', fixture], { timeout: 15_000 });
    const [, samples, elapsed] = /sampled (\d+) times, exited after (\d+) ms/.exec(stdout) ?? [];
    expect(Number(samples)).toBeGreaterThan(0);
    expect(Number(elapsed)).toBeLessThan(5_000);
  });
});

describe('LoadShedder signal defaults', () => {
  it('samples every 500 ms by default', async () => {
    const source = new FakeSignals();
    const clock = new ManualClock();
    const shedder = new LoadShedder({ registry: false, clock, maxInFlight: 1, signals: { maxHeapUsedRatio: 0.9, source } });
    await clock.advance(499);
    expect(source.reads).toBe(0);
    await clock.advance(1);
    expect(source.reads).toBe(1);
    shedder.dispose();
  });
});
