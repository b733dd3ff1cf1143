import { describe, expect, it } from 'vitest';
import { guardOf, guardRedis } from '../../src/redis/index';
import { useThrowAwayCluster } from '../support/redis-cluster';

describe('guardRedis on a 3-master Redis Cluster', () => {
  const fixture = useThrowAwayCluster(3, { connect: false });

  it('waits for the cluster to connect, then answers commands, MGET over one hash tag and a pipeline on every master', async () => {
    const cluster = fixture.cluster;
    const guarded = guardRedis(cluster, { registry: false });
    expect(cluster.status).toBe('wait');
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    expect(await Promise.all(users.map((user) => guarded.mset(`{${user}}:name`, user, `{${user}}:plan`, 'pro')))).toEqual(
      users.map(() => 'OK'),
    );
    for (const user of users) expect(await guarded.mget(`{${user}}:name`, `{${user}}:plan`)).toEqual([user, 'pro']);
    const slots = await Promise.all(users.map((user) => guarded.call('CLUSTER', 'KEYSLOT', `{${user}}`) as Promise<number>));
    const nodes = new Set(slots.map((slot) => cluster.slots[slot]?.[0]));
    expect(nodes.size).toBe(3);

    // A Cluster pipeline goes to one node: its keys share a hash tag.
    for (const user of users.slice(0, 3)) {
      const pipeline = guarded.pipeline().get(`{${user}}:name`).hgetall(`{${user}}:missing`).incr(`{${user}}:visits`);
      expect(await pipeline.exec()).toEqual([
        [null, user],
        [null, {}],
        [null, 1],
      ]);
    }
    expect(await guarded.multi().incr('{tx}:a').incr('{tx}:a').exec()).toEqual([
      [null, 1],
      [null, 2],
    ]);
    expect(guardOf(guarded)?.circuitBreaker?.stats().totals).toMatchObject({ failures: 0 });
    expect(guardOf(guarded)?.stats().waitedForReady).toBeGreaterThan(0);
    await Promise.all([...users.map((user) => guarded.del(`{${user}}:name`, `{${user}}:plan`, `{${user}}:visits`)), guarded.del('{tx}:a')]);
  });
});
