/**
 * A throw-away Redis Cluster for tests: cluster-enabled `redis-server`s joined with `redis-cli`.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { redisCommands, startRedisServer, type RedisServerHandle } from './redis-server';

/**
 * Starts `masters` throw-away cluster-enabled servers (no replicas) and joins them into one
 * cluster, resolving once every node reports `cluster_state:ok`. On failure the servers started
 * so far are stopped. Stop the returned servers when done.
 */
export async function startCluster(masters = 3): Promise<RedisServerHandle[]> {
  const servers: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      servers.push(await startRedisServer({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000'] }));
    }
    const created = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...servers.map((server) => `${server.host}:${server.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    for (let attempt = 0; ; attempt++) {
      const states = await Promise.all(servers.map((server) => redisCommands(server.url, [['CLUSTER', 'INFO']])));
      if (states.every(([info]) => typeof info === 'string' && info.includes('cluster_state:ok'))) return servers;
      if (attempt > 100) throw new Error('cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
}

/** What {@link useCluster} provides, filled in by its `beforeAll`. */
export interface ClusterFixture {
  servers: RedisServerHandle[];
  cluster: Cluster;
}

/**
 * A throw-away cluster of `masters` for the enclosing suite, with a connected ioredis `Cluster`
 * (no offline queue): started in `beforeAll`, disconnected and stopped in `afterAll`.
 */
export function useCluster(masters = 3): ClusterFixture {
  const fixture = { servers: [] } as unknown as ClusterFixture;
  beforeAll(async () => {
    fixture.servers = await startCluster(masters);
    fixture.cluster = new Cluster(
      fixture.servers.map(({ host, port }) => ({ host, port })),
      { enableOfflineQueue: false, lazyConnect: true },
    );
    await fixture.cluster.connect();
  }, 60_000);
  afterAll(async () => {
    fixture.cluster.disconnect();
    await Promise.all(fixture.servers.map((server) => server.stop()));
  });
  return fixture;
}
