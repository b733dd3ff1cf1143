/**
 * The load generator process of `npm run bench:overload`: open loop. Requests are sent at a fixed
 * rate whatever happens to the earlier ones (a closed-loop tool waits for a response before it
 * sends again, slows down with the server and hides an overload). Each request has a deadline
 * (500 ms at scale 1), after which the client gives up on it. On `{ run }` it loads the server for the
 * warm-up and the measured time, and replies with the measured requests' outcomes.
 * @module
 */
import { Agent, request } from 'node:http';

/** A point to load: `rate` requests/s for `warmupMs` then `durationMs` (measured). */
export interface RunCommand {
  readonly run: {
    readonly port: number;
    readonly rate: number;
    readonly warmupMs: number;
    readonly durationMs: number;
    readonly deadlineMs: number;
  };
}

/** What one point measured. */
export interface PointResult {
  sent: number;
  /** 200s within the deadline. */
  goodput: number;
  shed: number;
  timedOut: number;
  errors: number;
  /** Latencies of the 200s within the deadline, in ms. */
  readonly latencies: number[];
}

const TICK_MS = 2;

async function run({ port, rate, warmupMs, durationMs, deadlineMs }: RunCommand['run']): Promise<PointResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const result: PointResult = { sent: 0, goodput: 0, shed: 0, timedOut: 0, errors: 0, latencies: [] };
  const pending = new Set<Promise<void>>();
  const started = performance.now();
  const send = (measured: boolean): void => {
    const at = performance.now();
    if (measured) result.sent++;
    const done = new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/', agent, timeout: deadlineMs }, (response) => {
        response.resume();
        response.on('end', () => {
          const latency = performance.now() - at;
          if (measured) {
            if (response.statusCode === 200 && latency <= deadlineMs) {
              result.goodput++;
              result.latencies.push(latency);
            } else if (response.statusCode === 200) result.timedOut++;
            else result.shed++;
          }
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('deadline')));
      req.on('error', (error) => {
        if (measured) {
          if (error.message === 'deadline') result.timedOut++;
          else result.errors++;
        }
        resolve();
      });
      req.end();
    });
    pending.add(done);
    void done.then(() => pending.delete(done));
  };
  let owed = 0;
  let last = started;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      owed += ((now - last) * rate) / 1000;
      last = now;
      const measured = now - started >= warmupMs;
      for (; owed >= 1; owed--) send(measured);
      if (now - started >= warmupMs + durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, TICK_MS);
  });
  await Promise.all(pending);
  agent.destroy();
  return result;
}

process.on('message', (command: RunCommand | { stop: true }) => {
  if ('run' in command) void run(command.run).then((result) => process.send?.({ result }));
  else process.exit(0);
});
process.send?.({ ready: true });
