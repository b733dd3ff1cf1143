/**
 * A throw-away Redis Cluster for tests: cluster-enabled `redis-server` processes joined with
 * `redis-cli --cluster create`, stopped by the caller through their handles.
 * @module
 */
import { spawnSync } from 'node:child_process';
import { redisCommands, startRedisServer, type RedisServerHandle } from './redis-server';

/** Starts `masters` throw-away cluster-enabled servers and joins them into one cluster with redis-cli. */
export async function startCluster(masters: number): Promise<RedisServerHandle[]> {
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
