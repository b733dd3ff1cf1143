import { describe, expect, it, vi } from 'vitest';
import { ExceptionHandler, setLogger } from '../../src/index';

class Transient extends Error {}
class Permanent extends Transient {}

describe('ExceptionHandler', () => {
  it('handles every error by default', () => {
    const handler = new ExceptionHandler(undefined, 'retry', 'r');
    expect(handler.handles(new Error('x'))).toBe(true);
    expect(handler.handles('a string')).toBe(true);
  });

  it('handles listed classes and subclasses only, and lets ignore win over handle', () => {
    const handler = new ExceptionHandler({ handle: [Transient], ignore: [Permanent] }, 'retry', 'r');
    expect(handler.handles(new Transient())).toBe(true);
    expect(handler.handles(new Permanent())).toBe(false);
    expect(handler.handles(new TypeError())).toBe(false);
  });

  it('handles what a predicate accepts', () => {
    const handler = new ExceptionHandler({ handle: (e) => (e as { status?: number }).status === 503 }, 'retry', 'r');
    expect(handler.handles({ status: 503 })).toBe(true);
    expect(handler.handles({ status: 400 })).toBe(false);
  });

  it('tells onException the pattern, reason, error and metadata', () => {
    const onException = vi.fn();
    const handler = new ExceptionHandler({ onException }, 'timeout', 'redis-get');
    const error = new Error('slow');
    handler.report('timedOut', error, { timeoutMs: 5 });
    expect(onException).toHaveBeenCalledWith({
      patternType: 'timeout',
      patternName: 'redis-get',
      reason: 'timedOut',
      error,
      metadata: { timeoutMs: 5 },
    });
  });

  it('logs a rejecting onException without an unhandled rejection', async () => {
    const logged = vi.fn();
    setLogger({ error: logged, warn: vi.fn(), info: vi.fn(), debug: vi.fn() });
    try {
      const handler = new ExceptionHandler({ onException: async () => Promise.reject(new Error('async bug')) }, 'retry', 'r');
      handler.report('callFailed', new Error('x'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(logged).toHaveBeenCalledWith(expect.objectContaining({ reason: 'callFailed' }), expect.stringContaining('onException failed'));
    } finally {
      setLogger();
    }
  });

  it('returns the original error when transform throws', () => {
    const handler = new ExceptionHandler(
      {
        transform: () => {
          throw new Error('transform bug');
        },
      },
      'retry',
      'r',
    );
    const error = new Error('original');
    expect(handler.toCallerError('retryExhausted', error)).toBe(error);
  });
});

describe('ExceptionHandler with a throwing handle predicate', () => {
  it('logs it and counts the error as handled', () => {
    const logged = vi.fn();
    setLogger({ error: logged, warn: vi.fn(), info: vi.fn(), debug: vi.fn() });
    try {
      const handler = new ExceptionHandler({ handle: (e) => (e as { code: string }).code === 'ECONNRESET' }, 'retry', 'r');
      expect(handler.handles(null)).toBe(true);
      expect(logged).toHaveBeenCalledWith(expect.objectContaining({ patternName: 'r' }), expect.stringContaining('handle threw'));
    } finally {
      setLogger();
    }
  });
});
