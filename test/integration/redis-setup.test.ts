import { describe, expect, inject, it } from 'vitest';
import { findFreePort, pingRedis, redisCommands, RedisErrorReply, startRedisServer } from '../support/redis-server.js';

/** Whether a process with this pid exists (signal 0 only checks, it sends nothing). */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

describe('Redis test setup', () => {
  it('provides a redisUrl that answers PING', async () => {
    const url = inject('redisUrl');
    expect(url).toMatch(/^redis:\/\//);
    expect(await pingRedis(url, 2_000)).toBe(true);
  });

  it('reports a port nobody listens on as not answering PING', async () => {
    const port = await findFreePort();
    expect(await pingRedis({ host: '127.0.0.1', port }, 500)).toBe(false);
  });

  it('starts a throw-away server on a free port and stops exactly that process', async () => {
    const server = await startRedisServer();
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(server.url).not.toBe(inject('redisUrl'));
      expect(await pingRedis(server.url, 2_000)).toBe(true);
      expect(processExists(server.pid)).toBe(true);
    } finally {
      await server.stop();
    }
    expect(server.isRunning()).toBe(false);
    expect(processExists(server.pid)).toBe(false);
    expect(await pingRedis(server.url, 500)).toBe(false);
    // The shared server is untouched.
    expect(await pingRedis(inject('redisUrl'), 2_000)).toBe(true);
  });

  it('fails with the server output when redis-server cannot start', async () => {
    await expect(startRedisServer({ extraArgs: ['--no-such-option', 'x'] })).rejects.toThrow(/exited with code .*no-such-option/s);
  });

  it('does not mistake another server on the requested port for the one it started', async () => {
    const other = await startRedisServer();
    try {
      await expect(startRedisServer({ port: other.port, startTimeoutMs: 5_000 })).rejects.toThrow(/exited with code/);
      expect(other.isRunning()).toBe(true);
      expect(await pingRedis(other.url, 2_000)).toBe(true);
    } finally {
      await other.stop();
    }
  });

  it('authenticates with the password of a server started with requirepass', async () => {
    const server = await startRedisServer({ password: 's3cret pass' });
    try {
      expect(await pingRedis(server.url, 2_000)).toBe(true);
      expect(await pingRedis({ host: server.host, port: server.port }, 2_000)).toBe(false);
      const [reply] = await redisCommands({ host: server.host, port: server.port }, [['PING']]);
      expect(reply).toBeInstanceOf(RedisErrorReply);
    } finally {
      await server.stop();
    }
  });

  it('lets stop() be called more than once', async () => {
    const server = await startRedisServer();
    await Promise.all([server.stop(), server.stop()]);
    await server.stop();
    expect(processExists(server.pid)).toBe(false);
  });
});
