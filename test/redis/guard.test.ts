import { Redis } from 'ioredis';
import { Redis as Redis5 } from 'ioredis5';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CircuitOpenError, CircuitState, ConfigError, Registry, Timeout } from '../../src/index';
import { guardOf, guardRedis, READ_ONLY_COMMANDS, type GuardRedisOptions } from '../../src/redis/index';
import { rejectionOf, heldCommands } from './guard-support';
import { connect, useSharedRedis } from './support';

const shared = useSharedRedis(inject('redisUrl'), 'guard');
const prefix = shared.prefix;

/** Runs `test` with a fresh connection to the shared server, closed afterwards. */
async function withConnection(test: (redis: Redis) => Promise<void>): Promise<void> {
  const redis = await connect(inject('redisUrl'));
  try {
    await test(redis);
  } finally {
    redis.disconnect();
  }
}

/** A guard that stays out of the default registry. */
function guarded<R extends Redis>(redis: R, options: GuardRedisOptions = {}): R {
  return guardRedis(redis, { registry: false, ...options });
}

const clients = [
  ['ioredis 6', Redis as unknown as typeof Redis],
  ['ioredis 5', Redis5 as unknown as typeof Redis],
] as const;

describe.each(clients)('guardRedis on %s: a drop-in client', (label, Client) => {
  const keys = `${prefix}:${label.replace(' ', '')}`;
  let redis: Redis;
  let client: Redis;

  beforeAll(async () => {
    redis = new Client(inject('redisUrl'), { enableOfflineQueue: false, lazyConnect: true });
    await redis.connect();
    client = guarded(redis);
  });

  afterAll(() => redis.disconnect());

  it('answers strings, counters, expiries, hashes and multi-key commands as the connection does', async () => {
    expect(await client.set(`${keys}:a`, '1')).toBe('OK');
    expect(await client.get(`${keys}:a`)).toBe('1');
    expect(await client.incr(`${keys}:a`)).toBe(2);
    expect(await client.expire(`${keys}:a`, 60)).toBe(1);
    expect(await client.ttl(`${keys}:a`)).toBeGreaterThan(0);
    expect(await client.mget(`${keys}:a`, `${keys}:missing`)).toEqual(['2', null]);
    expect(await client.hset(`${keys}:h`, { f: 'x', g: 'y' })).toBe(2);
    expect(await client.hget(`${keys}:h`, 'f')).toBe('x');
    expect(await client.hgetall(`${keys}:h`)).toEqual({ f: 'x', g: 'y' });
    expect((await client.getBuffer(`${keys}:a`))?.toString()).toBe('2');
    expect(await client.call('GET', `${keys}:a`)).toBe('2');
    expect(await client.del(`${keys}:a`, `${keys}:h`)).toBe(2);
    expect(await redis.exists(`${keys}:a`, `${keys}:h`)).toBe(0);
  });

  it('runs eval, evalsha and a defineCommand script', async () => {
    const lua = 'return redis.call("SET", KEYS[1], ARGV[1])';
    expect(await client.eval(lua, 1, `${keys}:s`, 'e')).toBe('OK');
    const sha = (await client.script('LOAD', 'return redis.call("GET", KEYS[1])')) as string;
    expect(await client.evalsha(sha, 1, `${keys}:s`)).toBe('e');
    client.defineCommand('bulwarkGuardTestAppend', { numberOfKeys: 1, lua: 'return redis.call("APPEND", KEYS[1], ARGV[1])' });
    const script = client as unknown as { bulwarkGuardTestAppend(key: string, value: string): Promise<number> };
    expect(await script.bulwarkGuardTestAppend(`${keys}:s`, 'f')).toBe(2);
    expect(await redis.get(`${keys}:s`)).toBe('ef');
    expect(guardOf(client)?.circuitBreaker?.stats().totals.calls).toBeGreaterThanOrEqual(4);
    await redis.del(`${keys}:s`);
  });

  it("guards a pipeline's and a transaction's exec(), not the commands it queues", async () => {
    const guard = guardOf(client);
    const before = guard?.circuitBreaker?.stats().totals.calls ?? 0;
    const pipeline = client.pipeline().set(`${keys}:p`, 'a').get(`${keys}:p`).hget(`${keys}:p`, 'f');
    expect(guard?.circuitBreaker?.stats().totals.calls).toBe(before);
    const results = await pipeline.exec();
    expect(results?.slice(0, 2)).toEqual([
      [null, 'OK'],
      [null, 'a'],
    ]);
    expect(results?.[2]?.[0]).toMatchObject({ message: expect.stringMatching(/^WRONGTYPE/) });
    expect(await client.multi().incr(`${keys}:m`).incr(`${keys}:m`).exec()).toEqual([
      [null, 1],
      [null, 2],
    ]);
    expect(await client.multi([['get', `${keys}:m`]]).exec()).toEqual([[null, '2']]);
    expect(guard?.circuitBreaker?.stats().totals.calls).toBe(before + 3);
    await redis.del(`${keys}:p`, `${keys}:m`);
  });

  it('answers a trailing callback as ioredis does', async () => {
    await redis.set(`${keys}:cb`, 'v');
    const answer = await new Promise((resolve, reject) => {
      void client.get(`${keys}:cb`, (error, value) => (error ? reject(error) : resolve(value)));
    });
    expect(answer).toBe('v');
    await redis.del(`${keys}:cb`);
  });

  it('keeps a command guarded after its first call, writes members on the connection, and runs a script defined again by its new body', async () => {
    const breaker = guardOf(client)?.circuitBreaker;
    await client.get(`${keys}:again`);
    const before = breaker?.stats().totals.calls ?? 0;
    expect(await client.get(`${keys}:again`)).toBeNull();
    expect(breaker?.stats().totals.calls).toBe(before + 1);

    const written = client as unknown as { bulwarkGuardTestMark?: string };
    written.bulwarkGuardTestMark = 'set through the guard';
    expect((redis as unknown as { bulwarkGuardTestMark?: string }).bulwarkGuardTestMark).toBe('set through the guard');
    expect(written.bulwarkGuardTestMark).toBe('set through the guard');
    delete (redis as unknown as { bulwarkGuardTestMark?: string }).bulwarkGuardTestMark;

    const script = client as unknown as { bulwarkGuardTestEcho(key: string): Promise<string> };
    client.defineCommand('bulwarkGuardTestEcho', { numberOfKeys: 1, lua: 'return "first"' });
    expect(await script.bulwarkGuardTestEcho(`${keys}:echo`)).toBe('first');
    client.defineCommand('bulwarkGuardTestEcho', { numberOfKeys: 1, lua: 'return "second"' });
    const calls = breaker?.stats().totals.calls ?? 0;
    expect(await script.bulwarkGuardTestEcho(`${keys}:echo`)).toBe('second');
    expect(breaker?.stats().totals.calls).toBe(calls + 1);
  });

  it('passes every other member through, bound to the connection', () => {
    expect(client).toBeInstanceOf(Client);
    expect(client.constructor).toBe(redis.constructor);
    expect(client.status).toBe('ready');
    expect(client.options).toBe(redis.options);
    const listener = (): void => {};
    expect(client.on('end', listener)).toBe(redis);
    expect(redis.listeners('end')).toContain(listener);
    client.off('end', listener);
    expect(guardOf(redis)).toBeUndefined();
  });
});

describe('guardRedis while the circuit is open', () => {
  it('refuses at once with CircuitOpenError and sends nothing', async () => {
    await withConnection(async (redis) => {
        const client = guarded(redis);
        const breaker = guardOf(client)?.circuitBreaker;
        breaker?.isolate();
        const refusals = await Promise.all(Array.from({ length: 100 }, () => rejectionOf(client.set(`${prefix}:open`, 'x'))));
        for (const refusal of refusals) expect(refusal).toBeInstanceOf(CircuitOpenError);
        expect(await rejectionOf(client.pipeline().set(`${prefix}:open`, 'x').exec())).toBeInstanceOf(CircuitOpenError);
        expect(heldCommands(redis)).toEqual({ offline: 0, sent: 0 });
        expect(await shared.redis.exists(`${prefix}:open`)).toBe(0);
        breaker?.reset();
        expect(await client.set(`${prefix}:open`, 'x')).toBe('OK');
    });
  });
});

describe('guardRedis error replies', () => {
  it('keeps the circuit closed through many WRONGTYPE, NOSCRIPT and script errors, which reach the caller unchanged', async () => {
    await withConnection(async (redis) => {
        const client = guarded(redis, { circuitBreaker: { failureThreshold: 2 } });
        await client.set(`${prefix}:wrongtype`, 'v');
        const errors = await Promise.all([
          ...Array.from({ length: 50 }, () => rejectionOf(client.hget(`${prefix}:wrongtype`, 'f'))),
          ...Array.from({ length: 10 }, () => rejectionOf(client.evalsha('0'.repeat(40), 0))),
          ...Array.from({ length: 10 }, () => rejectionOf(client.eval('return redis.call("INCR", KEYS[1])', 1, `${prefix}:wrongtype`))),
        ]);
        expect(errors.filter((error) => error.message.startsWith('WRONGTYPE'))).toHaveLength(50);
        expect(errors.filter((error) => error.name === 'ReplyError')).toHaveLength(70);
        const breaker = guardOf(client)?.circuitBreaker;
        expect(breaker?.state).toBe(CircuitState.Closed);
        expect(breaker?.stats().totals).toMatchObject({ calls: 71, failures: 0 });
    });
  });
});

describe('guardRedis at start-up', () => {
  it('sends a command made right after new Redis() once the connection is ready, queuing nothing in ioredis', async () => {
    const redis = new Redis(inject('redisUrl'), { enableOfflineQueue: false });
    try {
      expect(redis.status).toBe('connecting');
      const refused = rejectionOf(redis.get(`${prefix}:startup`));
      const client = guarded(redis);
      const answers = Promise.all([client.set(`${prefix}:startup`, 'up'), client.get(`${prefix}:startup`)]);
      expect(heldCommands(redis).offline).toBe(0);
      expect(await answers).toEqual(['OK', 'up']);
      expect((await refused).message).toMatch(/enableOfflineQueue/);
      expect(guardOf(client)?.stats()).toMatchObject({ waitedForReady: 2, notReady: 0 });
    } finally {
      redis.disconnect();
    }
  });

  it('connects a lazyConnect client on its first command, as ioredis does', async () => {
    const redis = new Redis(inject('redisUrl'), { lazyConnect: true });
    try {
      const client = guarded(redis);
      expect(redis.status).toBe('wait');
      expect(await client.exists(`${prefix}:lazy`)).toBe(0);
      expect(redis.status).toBe('ready');
    } finally {
      redis.disconnect();
    }
  });
});

describe('guardRedis options', () => {
  it('registers its breaker under its name, and reports every layer and disposes them', async () => {
    await withConnection(async (redis) => {
        const registry = new Registry();
        const client = guardRedis(redis, { name: 'sessions-redis', registry });
        await client.get(`${prefix}:registered`);
        const guard = guardOf(client);
        expect(registry.get('sessions-redis')).toBe(guard?.circuitBreaker);
        expect(registry.health().instances['sessions-redis']).toMatchObject({ patternType: 'circuitBreaker', state: 'closed' });
        expect(guard?.stats().layers.map((layer) => layer.name)).toEqual([
          'sessions-redis',
          'sessions-redis:timeout',
          'sessions-redis:bulkhead',
        ]);
        guard?.dispose();
    });
  });

  it('runs every command through a policy given instead, and no breaker of its own', async () => {
    await withConnection(async (redis) => {
        const timeout = new Timeout({ timeoutMs: 1_000, registry: false });
        const client = guarded(redis, { policy: timeout });
        await client.set(`${prefix}:policy`, '1');
        expect(await client.pipeline().get(`${prefix}:policy`).exec()).toEqual([[null, '1']]);
        expect(guardOf(client)?.circuitBreaker).toBeUndefined();
        expect(guardOf(client)?.stats().layers).toEqual([{ name: timeout.name, stats: timeout.stats() }]);
    });
  });

  it('refuses bad options with one ConfigError naming each', () => {
    const error = (() => {
      try {
        guardRedis(shared.redis, { policy: new Timeout({ timeoutMs: 1, registry: false }), timeout: { timeoutMs: 5 }, idempotent: [''], retyr: true } as never);
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((issue) => issue.path).sort()).toEqual(['idempotent.0', 'retyr', 'timeout']);
  });

  it('lists the read-only commands the issue names as retryable, and no write', () => {
    const reads = ['GET', 'MGET', 'HGET', 'HGETALL', 'EXISTS', 'TTL', 'PTTL', 'SCARD', 'SMEMBERS', 'SISMEMBER', 'ZRANGE', 'ZSCORE'];
    for (const command of [...reads, 'ZCARD', 'LRANGE', 'LLEN', 'STRLEN', 'GETRANGE', 'HMGET', 'HEXISTS', 'HLEN', 'TYPE']) {
      expect(READ_ONLY_COMMANDS.has(command.toLowerCase())).toBe(true);
    }
    for (const write of ['set', 'incr', 'del', 'expire', 'hset', 'eval', 'evalsha', 'getdel', 'getex', 'getset', 'exec']) {
      expect(READ_ONLY_COMMANDS.has(write)).toBe(false);
    }
  });
});
