import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
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
    const { logger } = pinoToArray();
    setLogger(logger);
    expect(getLogger()).toBe(logger);
    setLogger();
    expect(getLogger()).toBe(silentLogger);
  });
});
