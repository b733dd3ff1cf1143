import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setLogger, type Logger } from '../../../src/core/logger';
import { RedisMetricsSink, type MetricSpec } from '../../../src/redis/index';

const counter: MetricSpec = { name: 'jobs_total', help: 'Jobs', type: 'counter' };

/** A port that nothing listens on: connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A sink on a connection whose server is gone, and one increment waiting to be flushed. */
async function sinkWithoutServer(): Promise<{ sink: RedisMetricsSink; redis: Redis }> {
  const redis = new Redis({ port: await closedPort(), lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  const sink = new RedisMetricsSink({ redis, prefix: 'flush-failure', flushIntervalMs: 3_600_000, timeoutMs: 100 });
  sink.record(counter, undefined, 1);
  return { sink, redis };
}

afterEach(() => {
  setLogger();
  vi.restoreAllMocks();
});

describe('a metrics sink whose flushes fail', () => {
  it('warns the process once per outage when no logger is set, so that lost visibility is never silent', async () => {
    setLogger();
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { sink, redis } = await sinkWithoutServer();
    await expect(sink.flush()).rejects.toThrow();
    await expect(sink.flush()).rejects.toThrow();
    expect(emitWarning).toHaveBeenCalledTimes(1);
    expect(emitWarning).toHaveBeenCalledWith(
      expect.stringMatching(/^RedisMetricsSink \(instance .+\): metrics flush failed \(.+\); increments are kept until a flush succeeds$/),
      expect.objectContaining({ type: 'BulwarkWarning', code: 'BULWARK_METRICS_FLUSH_FAILED' }),
    );
    expect(sink.stats().failedFlushes).toBe(2);
    await sink.dispose().catch(() => {});
    redis.disconnect();
  });

  it('logs a warning instead when a logger is set', async () => {
    const logger: Logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() };
    setLogger(logger);
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { sink, redis } = await sinkWithoutServer();
    await expect(sink.flush()).rejects.toThrow();
    expect(logger.warn).toHaveBeenCalledWith(
      expect.objectContaining({ sink: 'RedisMetricsSink', err: expect.any(Error) }),
      'metrics flush failed; increments are kept until a flush succeeds',
    );
    expect(emitWarning).not.toHaveBeenCalled();
    await sink.dispose().catch(() => {});
    redis.disconnect();
  });
});
