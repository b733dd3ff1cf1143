/**
 * Model-based test: random sequences of arrivals (of every priority), completions, aborts of
 * queued calls and signal samples, run against a real LoadShedder and against a reference model
 * written here from the documented rules; after every step both must agree on what runs, what
 * waits, the load level and what each caller saw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Priority } from '../../src/index';
import { LoadShedder, type LoadLevel } from '../../src/load-shedder/index';
import { ManualClock } from '../support/manual-clock';
import { FakeSignals } from './support';
import { flushPromises } from '../support/async';

const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'critical'];
const LEVELS: LoadLevel[] = ['normal', 'elevated', 'high', 'critical', 'critical'];
const SAMPLE_MS = 10;
const MAX_DELAY_MS = 100;

interface Config {
  readonly maxInFlight: number;
  readonly maxQueue: number;
  readonly thresholds: readonly number[];
}

/** The documented rules: a priority is shed iff max(occupancy, pressure) ≥ its threshold. */
class Model {
  readonly running: number[] = [];
  readonly queues: number[][] = [[], [], [], []];
  pressure = 0;
  readonly outcomes = new Map<number, 'running' | 'queued' | 'shed' | 'aborted' | 'done'>();

  constructor(readonly config: Config) {}

  get queued(): number {
    return this.queues.reduce((sum, queue) => sum + queue.length, 0);
  }

  #shed(rank: number): boolean {
    const { maxInFlight, maxQueue, thresholds } = this.config;
    const occupancy = (this.running.length + this.queued) / (maxInFlight + maxQueue);
    return Math.max(occupancy, this.pressure) >= (thresholds[rank] as number);
  }

  get level(): LoadLevel {
    return LEVELS[[0, 1, 2, 3].filter((rank) => this.#shed(rank)).length] as LoadLevel;
  }

  arrive(id: number, rank: number): void {
    if (this.#shed(rank)) this.outcomes.set(id, 'shed');
    else if (this.running.length < this.config.maxInFlight) this.#start(id);
    else {
      (this.queues[rank] as number[]).push(id);
      this.outcomes.set(id, 'queued');
    }
  }

  complete(id: number): void {
    this.running.splice(this.running.indexOf(id), 1);
    this.outcomes.set(id, 'done');
    for (let rank = 3; rank >= 0; rank--) {
      const next = (this.queues[rank] as number[]).shift();
      if (next !== undefined) return this.#start(next);
    }
  }

  abort(id: number): void {
    for (const queue of this.queues) if (queue.includes(id)) queue.splice(queue.indexOf(id), 1);
    this.outcomes.set(id, 'aborted');
  }

  #start(id: number): void {
    this.running.push(id);
    this.outcomes.set(id, 'running');
  }
}

class Real {
  readonly clock = new ManualClock();
  readonly source = new FakeSignals();
  readonly shedder: LoadShedder;
  readonly running = new Map<number, () => void>();
  readonly settled = new Map<number, string>();
  readonly controllers = new Map<number, AbortController>();
  nextId = 0;

  constructor(config: Config) {
    const [low, normal, high, critical] = config.thresholds as [number, number, number, number];
    this.shedder = new LoadShedder({
      registry: false,
      clock: this.clock,
      maxInFlight: config.maxInFlight,
      maxQueue: config.maxQueue,
      priorityThresholds: { low, normal, high, critical },
      signals: { maxEventLoopDelayMs: MAX_DELAY_MS, sampleIntervalMs: SAMPLE_MS, source: this.source },
    });
  }
}

type System = { model: Model; real: Real };

async function agree(model: Model, real: Real): Promise<void> {
  await flushPromises();
  expect([...real.running.keys()].sort((a, b) => a - b)).toEqual([...model.running].sort((a, b) => a - b));
  expect(real.shedder.inFlight).toBe(model.running.length);
  expect(real.shedder.queued).toBe(model.queued);
  expect(real.shedder.loadLevel).toBe(model.level);
  for (const [id, outcome] of model.outcomes) {
    if (outcome === 'shed') expect(real.settled.get(id)).toBe('LOAD_SHED');
    if (outcome === 'aborted') expect(real.settled.get(id)).toBe('aborted');
    if (outcome === 'done') expect(real.settled.get(id)).toBe('done');
    if (outcome === 'queued' || outcome === 'running') expect(real.settled.has(id)).toBe(false);
  }
}

class Arrive implements fc.AsyncCommand<Model, Real> {
  constructor(readonly rank: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    const id = real.nextId++;
    const controller = new AbortController();
    real.controllers.set(id, controller);
    model.arrive(id, this.rank);
    const fn = () => new Promise<void>((resolve) => real.running.set(id, resolve));
    real.shedder.execute(fn, { priority: PRIORITIES[this.rank] as Priority, signal: controller.signal }).then(
      () => real.settled.set(id, 'done'),
      (error: unknown) => real.settled.set(id, error === 'aborted' ? 'aborted' : String((error as { code?: string }).code)),
    );
    await agree(model, real);
  }
  toString = () => `arrive(${PRIORITIES[this.rank]})`;
}

class Complete implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.running.length > 0;
  async run(model: Model, real: Real): Promise<void> {
    const id = model.running[this.pick % model.running.length] as number;
    model.complete(id);
    const resolve = real.running.get(id) as () => void;
    real.running.delete(id);
    resolve();
    await agree(model, real);
  }
  toString = () => `complete(#${this.pick})`;
}

class AbortQueued implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.queued > 0;
  async run(model: Model, real: Real): Promise<void> {
    const queued = model.queues.flat();
    const id = queued[this.pick % queued.length] as number;
    model.abort(id);
    real.controllers.get(id)?.abort('aborted');
    await agree(model, real);
  }
  toString = () => `abortQueued(#${this.pick})`;
}

class Sample implements fc.AsyncCommand<Model, Real> {
  constructor(readonly delayMs: number) {}
  check = () => true;
  async run(model: Model, real: Real): Promise<void> {
    real.source.delayMs = this.delayMs;
    await real.clock.advance(SAMPLE_MS);
    model.pressure = this.delayMs / MAX_DELAY_MS;
    await agree(model, real);
  }
  toString = () => `sample(delay ${this.delayMs} ms)`;
}

const configArbitrary: fc.Arbitrary<Config> = fc.record({
  maxInFlight: fc.integer({ min: 1, max: 6 }),
  maxQueue: fc.integer({ min: 0, max: 6 }),
  thresholds: fc
    .array(fc.constantFrom(0.1, 0.25, 0.3, 0.5, 0.6, 0.75, 0.9, 1), { minLength: 4, maxLength: 4 })
    .map((values) => [...values].sort((a, b) => a - b)),
});

const commands = [
  fc.integer({ min: 0, max: 3 }).map((rank) => new Arrive(rank)),
  fc.integer({ min: 0, max: 3 }).map((rank) => new Arrive(rank)),
  fc.nat(20).map((pick) => new Complete(pick)),
  fc.nat(20).map((pick) => new AbortQueued(pick)),
  fc.constantFrom(0, 10, 30, 50, 60, 75, 90, 100, 150).map((delayMs) => new Sample(delayMs)),
];

describe('LoadShedder admission and queue', () => {
  it('agree with the reference model on every random sequence of arrivals, completions, aborts and samples', async () => {
    await fc.assert(
      fc.asyncProperty(configArbitrary, fc.commands(commands, { maxCommands: 50 }), async (config, cmds) => {
        const setup = (): System => ({ model: new Model(config), real: new Real(config) });
        let real: Real | undefined;
        await fc.asyncModelRun(() => {
          const system = setup();
          real = system.real;
          return system;
        }, cmds);
        real?.shedder.dispose();
      }),
      { numRuns: 200 },
    );
  });
});
