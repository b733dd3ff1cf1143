/**
 * Model-based test: random sequences of calls, finished calls, aborted waits and producer
 * acquire/release, run against a real Backpressure and against a small reference model of its
 * hysteresis written here; after every step both must agree on the count, the state, who waits
 * and the order in which calls started.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backpressure } from '../../src/backpressure/index';
import { ManualClock } from '../support/manual-clock';
import { Job } from './support';
import { flushPromises } from '../support/async';

type Command =
  | { readonly op: 'call' }
  | { readonly op: 'finish'; readonly pick: number }
  | { readonly op: 'abort'; readonly pick: number }
  | { readonly op: 'acquire'; readonly units: number }
  | { readonly op: 'release'; readonly units: number };

/** The rules, as plainly as possible: a count, a flag, a FIFO of waiting calls. */
class Model {
  pending = 0;
  paused = false;
  peak = 0;
  transitions: Array<'pause' | 'resume'> = [];
  waiting: number[] = [];
  running: number[] = [];
  started: number[] = [];

  constructor(
    readonly high: number,
    readonly low: number,
  ) {}

  call(id: number): void {
    if (this.paused) this.waiting.push(id);
    else this.admit(id);
  }

  admit(id: number): void {
    this.running.push(id);
    this.started.push(id);
    this.rise(1);
  }

  rise(units: number): void {
    this.pending += units;
    this.peak = Math.max(this.peak, this.pending);
    if (!this.paused && this.pending >= this.high) {
      this.paused = true;
      this.transitions.push('pause');
    }
  }

  fall(units: number): void {
    this.pending -= units;
    if (!this.paused || this.pending > this.low) return;
    this.paused = false;
    this.transitions.push('resume');
    while (!this.paused && this.waiting.length > 0) this.admit(this.waiting.shift() as number);
  }
}

const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.constant({ op: 'call' as const }), weight: 4 },
  { arbitrary: fc.nat().map((pick) => ({ op: 'finish' as const, pick })), weight: 4 },
  { arbitrary: fc.nat().map((pick) => ({ op: 'abort' as const, pick })), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 3 }).map((units) => ({ op: 'acquire' as const, units })), weight: 2 },
  { arbitrary: fc.integer({ min: 1, max: 3 }).map((units) => ({ op: 'release' as const, units })), weight: 2 },
);

const watermarks = fc
  .integer({ min: 1, max: 6 })
  .chain((high) => fc.record({ high: fc.constant(high), low: fc.integer({ min: 0, max: high - 1 }) }));

describe('Backpressure against a reference model', () => {
  it('agrees with the model on pending, paused, waiting callers and start order after every step', async () => {
    await fc.assert(
      fc.asyncProperty(watermarks, fc.array(command, { maxLength: 40 }), async ({ high, low }, commands) => {
        const backpressure = new Backpressure({ highWaterMark: high, lowWaterMark: low, clock: new ManualClock(), registry: false });
        const transitions: Array<'pause' | 'resume'> = [];
        backpressure.events.on('pause', () => transitions.push('pause'));
        backpressure.events.on('resume', () => transitions.push('resume'));
        const model = new Model(high, low);
        const jobs: Job[] = [];
        const aborts = new Map<number, AbortController>();
        const outcomes = new Map<number, 'done' | 'aborted'>();
        const started: number[] = [];
        let producerUnits = 0;

        for (const step of commands) {
          switch (step.op) {
            case 'call': {
              const id = jobs.length;
              const controller = new AbortController();
              const job = new Job(String(id));
              jobs.push(job);
              aborts.set(id, controller);
              const fn = () => {
                started.push(id);
                return job.fn();
              };
              backpressure.execute(fn, { signal: controller.signal }).then(
                () => outcomes.set(id, 'done'),
                (reason: unknown) => outcomes.set(id, reason === 'aborted' ? 'aborted' : 'done'),
              );
              model.call(id);
              break;
            }
            case 'finish': {
              if (model.running.length === 0) break;
              const [id] = model.running.splice(step.pick % model.running.length, 1) as [number];
              jobs[id]?.finish();
              model.fall(1);
              break;
            }
            case 'abort': {
              if (model.waiting.length === 0) break;
              const [id] = model.waiting.splice(step.pick % model.waiting.length, 1) as [number];
              aborts.get(id)?.abort('aborted');
              break;
            }
            case 'acquire':
              backpressure.acquire(step.units);
              producerUnits += step.units;
              model.rise(step.units);
              break;
            case 'release': {
              const units = Math.min(step.units, producerUnits);
              if (units === 0) break;
              backpressure.release(units);
              producerUnits -= units;
              model.fall(units);
              break;
            }
          }
          await flushPromises();
          expect(backpressure.pending).toBe(model.pending);
          expect(backpressure.paused).toBe(model.paused);
          expect(backpressure.stats().queued).toBe(model.waiting.length);
          expect(started).toEqual(model.started);
        }
        expect(transitions).toEqual(model.transitions);
        expect(backpressure.stats()).toMatchObject({ peakPending: model.peak, pauses: model.transitions.filter((t) => t === 'pause').length });
        for (const id of model.waiting) expect(outcomes.has(id)).toBe(false);
        for (const [id, outcome] of outcomes) expect(outcome === 'aborted').toBe(!model.started.includes(id));
      }),
      { numRuns: 300 },
    );
  });
});
