import { compose, Retry, Timeout } from '../../src/index';

const pipeline = compose(new Retry({ maxAttempts: 3 }), new Timeout({ timeoutMs: 60_000 }));
const started = Date.now();
await Promise.all(Array.from({ length: 100 }, (_, i) => pipeline.execute(async () => i)));
process.on('exit', () => {
  process.stdout.write(`exited after ${Date.now() - started} ms\n`);
});
