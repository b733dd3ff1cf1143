import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { getLogger, Retry, setLogger, silentLogger } from '../../src/index';

afterEach(() => setLogger());

/** A pino logger writing JSON lines into an array. */
function pinoToArray() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

describe('logger', () => {
  it('is silent by default', () => {
    expect(getLogger()).toBe(silentLogger);
  });

  it('logs through a pino logger set with setLogger', async () => {
    const { logger, lines } = pinoToArray();
    setLogger(logger);
    const retry = new Retry({
      maxAttempts: 1,
      exceptions: {
        onException: () => {
          throw new Error('callback bug');
        },
      },
    });
    await retry.execute(() => Promise.reject(new Error('down'))).catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 50,
        msg: 'bulwark: exceptions.onException failed; the call is unaffected',
        patternType: 'retry',
        reason: 'retryExhausted',
        err: expect.objectContaining({ message: 'callback bug' }),
      }),
    ]);
  });

  it('goes silent again when set to nothing', () => {
    const { logger, lines } = pinoToArray();
    setLogger(logger);
    expect(getLogger()).not.toBe(silentLogger);
    getLogger().warn({ step: 1 }, 'logged');
    setLogger();
    expect(getLogger()).toBe(silentLogger);
    getLogger().warn({ step: 2 }, 'dropped');
    expect(lines).toEqual([expect.objectContaining({ step: 1, msg: 'logged' })]);
  });

  it('follows a level change of a pino logger made after setLogger', () => {
    const { logger, lines } = pinoToArray();
    setLogger(logger);
    getLogger().debug({ step: 1 }, 'debug on');
    logger.level = 'info';
    getLogger().debug({ step: 2 }, 'debug off');
    expect(lines.map((line) => line['step'])).toEqual([1]);
  });

  it('never throws nor leaves an unhandled rejection when the logger fails, and warns once per logger', async () => {
    const warnings = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const failing = {
      error: () => {
        throw new Error('sync logger bug');
      },
      warn: () => Promise.reject(new Error('async logger bug')),
      info: () => {},
      debug: () => {},
    };
    setLogger(failing);
    expect(() => getLogger().error({}, 'a')).not.toThrow();
    expect(() => getLogger().warn({}, 'b')).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toHaveBeenCalledOnce();
    expect(warnings).toHaveBeenCalledWith(expect.stringContaining('sync logger bug'), { code: 'BULWARK_LOGGER_FAILED' });
    setLogger(failing);
    getLogger().warn({}, 'c');
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).toHaveBeenCalledTimes(2);
    expect(warnings).toHaveBeenLastCalledWith(expect.stringContaining('async logger bug'), { code: 'BULWARK_LOGGER_FAILED' });
  });

  it('passes the message only when there is one', () => {
    const info = vi.fn();
    setLogger({ error: vi.fn(), warn: vi.fn(), info, debug: vi.fn() });
    getLogger().info({ a: 1 });
    getLogger().info({ b: 2 }, 'message');
    expect(info.mock.calls).toEqual([[{ a: 1 }], [{ b: 2 }, 'message']]);
  });
});
