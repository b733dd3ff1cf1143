import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisQueue } from '../../src/redis/index';
import { startCluster } from '../support/redis-cluster';
import type { RedisServerHandle } from '../support/redis-server';
import { nextEvents } from './queue-support';

describe('RedisQueue on a 3-master Redis Cluster', () => {
  let servers: RedisServerHandle[] = [];
  let cluster: Cluster;

  beforeAll(async () => {
    servers = await startCluster(3);
    cluster = new Cluster(
      servers.map((server) => ({ host: server.host, port: server.port })),
      { enableOfflineQueue: false, lazyConnect: true },
    );
    await cluster.connect();
  }, 60_000);

  afterAll(async () => {
    cluster.disconnect();
    await Promise.all(servers.map((server) => server.stop()));
  });

  it('runs every operation of queues spread over every master without CROSSSLOT', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `cq-${i}`);
    const slots = new Set(
      await Promise.all(names.map(async (name) => cluster.slots[Number(await cluster.cluster('KEYSLOT', `{${name}}`))]?.[0])),
    );
    expect(slots.size).toBe(3);
    for (const name of names) {
      const queue = new RedisQueue({ redis: cluster, name, registry: false, backoff: { initialDelayMs: 1, jitter: 'none' } });
      const [first, , delayed] = await queue.addBulk([
        { type: 'ok', payload: 1, options: { priority: 'high', jobId: 'a' } },
        { type: 'fail', payload: 2, options: { maxAttempts: 2 } },
        { type: 'ok', payload: 3, options: { delayMs: 60_000 } },
      ]);
      expect((await queue.add('ok', 9, { jobId: 'a' })).payload).toBe(1);
      expect(await queue.cancel(delayed!.id)).toBe(true);
      const dead = nextEvents(queue, 'dead', 1);
      const completed = nextEvents(queue, 'completed', 1);
      const worker = queue.process({ ok: () => {}, fail: () => Promise.reject(new Error('no')) }, { blockMs: 50 });
      const [died] = await dead;
      await completed;
      await worker.close();
      expect(await queue.get(first!.id)).toMatchObject({ state: 'completed' });
      expect(await queue.retryDead(died!.jobId)).toBe(true);
      expect(await queue.stats()).toMatchObject({ ready: 1, completed: 1, dead: 0, delayed: 0, active: 0 });
      expect(await queue.clean({ state: 'completed', olderThanMs: 0 })).toBe(1);
    }
  });
});
