// One process of the token-bucket multi-process exactness test: consumes one bucket (see
// hammer-loop.ts for the loop and what it prints). Each decision runs the RedisStore's
// single-bucket script as it ships, plus one line that appends the server time of every admission
// to a list (LOG), so that the test can check the bound by server time.
import { Redis } from 'ioredis';
import { SINGLE_BUCKET_SCRIPTS } from '../../src/redis/scripts/token-bucket';
import { hammer } from './hammer-loop';

const env = process.env as Record<string, string>;
const shipped = SINGLE_BUCKET_SCRIPTS.server;
const admittedReply = 'return used';
if (!shipped.endsWith(admittedReply)) throw new Error('the token-bucket script no longer ends as this fixture expects');
const recording = `${shipped.slice(0, -admittedReply.length)}redis.call('RPUSH', KEYS[2], now)\n${admittedReply}`;
const redis = new Redis(env.REDIS_URL as string, { enableOfflineQueue: false, lazyConnect: true });
redis.defineCommand('recordingBucket', { numberOfKeys: 2, lua: recording });
await redis.connect();
const consume = (redis as unknown as Record<string, (...args: string[]) => Promise<number>>).recordingBucket!.bind(redis);
const args = [env.KEY as string, env.LOG as string, `1 ${env.BURST} ${env.INTERVAL_US}`];
// The script answers the bucket's µs until full: > 0 when it admitted, < 0 when it refused.
await hammer(redis, async () => (await consume(...args)) > 0);
redis.disconnect();
