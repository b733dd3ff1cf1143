/**
 * A throw-away Redis Cluster for tests: MASTERS cluster-enabled servers joined with redis-cli.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { redisCommands, startRedisServer, type RedisServerHandle } from './redis-server';

/** How many masters {@link startCluster} starts. */
export const MASTERS = 3;

/** Starts `MASTERS` throw-away cluster-enabled servers and joins them into one cluster with redis-cli. */
export async function startCluster(): Promise<RedisServerHandle[]> {
  const servers: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < MASTERS; i++) {
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

