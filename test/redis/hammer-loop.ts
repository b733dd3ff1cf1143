// The loop of a hammer fixture: once every process of the test is connected (a start gate on
// Redis, see `startGate` in multi-process.test.ts), CONSUMERS concurrent loops call `consume` for
// DURATION_MS, then the process prints how many calls were admitted.
import type { Redis } from 'ioredis';

/** Waits at the start gate `GATE` on `redis`: says it is ready, then takes the start time (epoch ms) the test hands out. */
async function startTime(redis: Redis, gate: string): Promise<number> {
  await redis.rpush(`${gate}:ready`, String(process.pid));
  const handed = await redis.blpop(`${gate}:go`, 30);
  if (handed === null) throw new Error('the test never opened the start gate');
  return Number(handed[1]);
}

/** Runs the consumers of this process from the gate's start time and prints `admitted <count>`. */
export async function hammer(redis: Redis, consume: () => Promise<boolean>): Promise<void> {
  const env = process.env as Record<string, string>;
  const startAt = await startTime(redis, env.GATE as string);
  const endAt = startAt + Number(env.DURATION_MS);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
  let admitted = 0;
  await Promise.all(
    Array.from({ length: Number(env.CONSUMERS) }, async () => {
      while (Date.now() < endAt) if (await consume()) admitted++;
    }),
  );
  process.stdout.write(`admitted ${admitted}\n`);
}
