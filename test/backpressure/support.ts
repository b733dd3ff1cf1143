import { Backpressure, type BackpressureOptions } from '../../src/backpressure/index';
import { ManualClock } from '../support/manual-clock';

/** A Backpressure on a manual clock, outside the default registry; high 4, low 1 unless overridden. */
export function onClock(options: Partial<BackpressureOptions> = {}) {
  const clock = new ManualClock();
  const backpressure = new Backpressure({ registry: false, clock, highWaterMark: 4, lowWaterMark: 1, ...options });
  return { clock, backpressure };
}

/** A function for `execute` that runs until the test calls `finish()`. */
export class Job {
  started = false;
  #finish: (() => void) | undefined;

  constructor(
    readonly label: string = 'job',
    readonly log?: string[],
  ) {}

  readonly fn = (): Promise<string> => {
    this.started = true;
    this.log?.push(this.label);
    return new Promise<string>((resolve) => {
      this.#finish = () => resolve(this.label);
    });
  };

  /** Lets the job end; it must have started. */
  finish(): void {
    if (this.#finish === undefined) throw new Error(`job ${this.label} has not started`);
    this.#finish();
  }
}

/** Starts `count` jobs through `backpressure` and returns them with their results. */
export function startJobs(backpressure: Backpressure, count: number, log?: string[], prefix = 'job') {
  return Array.from({ length: count }, (_, i) => {
    const job = new Job(`${prefix}${i + 1}`, log);
    const result = backpressure.execute(job.fn);
    result.catch(() => {});
    return { job, result };
  });
}
