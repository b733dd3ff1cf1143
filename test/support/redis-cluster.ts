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

/** What {@link useThrowAwayCluster} provides, filled in by its `beforeAll`. */
export interface ThrowAwayCluster {
  servers: RedisServerHandle[];
  /** A connected client (offline queue off). */
  cluster: Cluster;
}

/**
 * A throw-away cluster of `masters` masters for the enclosing `describe`: started with a client in
 * `beforeAll` (connected, unless `connect: false` leaves it in `wait` for the test to connect),
 * disconnected and stopped in `afterAll`.
 */
export function useThrowAwayCluster(masters = 3, { connect = true }: { connect?: boolean } = {}): ThrowAwayCluster {
  const fixture = { servers: [] as RedisServerHandle[] } as ThrowAwayCluster;
  beforeAll(async () => {
    fixture.servers = await startCluster(masters);
    fixture.cluster = new Cluster(
      fixture.servers.map((server) => ({ host: server.host, port: server.port })),
      { enableOfflineQueue: false, lazyConnect: true },
    );
    if (connect) await fixture.cluster.connect();
  }, 60_000);
  afterAll(async () => {
    fixture.cluster.disconnect();
    await Promise.all(fixture.servers.map((server) => server.stop()));
  });
  return fixture;
}
