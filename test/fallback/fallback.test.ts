import { describe, expect, it, vi } from 'vitest';
import { ConfigError, Fallback, type FallbackEvent } from '../../src/index';

class NotFound extends Error {}

describe('Fallback', () => {
  it('returns the fallback value for a handled failure, sync or async', async () => {
    const fallback = new Fallback({ fallback: 'default' });
    await expect(fallback.execute(async () => Promise.reject(new Error('down')))).resolves.toBe('default');
    await expect(
      fallback.execute(() => {
        throw new Error('sync');
      }),
    ).resolves.toBe('default');
  });

  it('calls a fallback function with the error and the context', async () => {
    const error = new Error('down');
    const seen = vi.fn((e: unknown, ctx: { key?: string | undefined }) => `fallback for ${ctx.key} after ${(e as Error).message}`);
    const fallback = new Fallback({ fallback: seen });
    await expect(fallback.execute(async () => Promise.reject(error), { key: 'user-1' })).resolves.toBe(
      'fallback for user-1 after down',
    );
    expect(seen).toHaveBeenCalledWith(error, expect.objectContaining({ key: 'user-1', attempt: 1 }));
  });

  it('awaits an async fallback function and passes its own error to the caller', async () => {
    const fromCache = new Fallback({ fallback: async () => 'cached' });
    await expect(fromCache.execute(async () => Promise.reject(new Error('x')))).resolves.toBe('cached');
    const broken = new Error('cache down too');
    const failing = new Fallback({ fallback: async () => Promise.reject(broken) });
    await expect(failing.execute(async () => Promise.reject(new Error('x')))).rejects.toBe(broken);
  });

  it('passes results through and rethrows errors it does not handle', async () => {
    const fallback = new Fallback({ fallback: null, exceptions: { handle: [NotFound] } });
    await expect(fallback.execute(async () => 5)).resolves.toBe(5);
    await expect(fallback.execute(async () => Promise.reject(new NotFound()))).resolves.toBeNull();
    const other = new TypeError('bug');
    await expect(fallback.execute(async () => Promise.reject(other))).rejects.toBe(other);
  });

  it("rethrows the caller's abort reason instead of falling back", async () => {
    const controller = new AbortController();
    const reason = new Error('caller aborted');
    const fallback = new Fallback({ fallback: 'default' });
    const result = fallback.execute(
      () =>
        new Promise((_, reject) => {
          controller.abort(reason);
          reject(new Error('aborted work'));
        }),
      { signal: controller.signal },
    );
    await expect(result).rejects.toBe(reason);
  });

  it('emits a fallback event and reports the failure to onException', async () => {
    const onException = vi.fn();
    const fallback = new Fallback({ fallback: 0, name: 'prices', exceptions: { onException } });
    const events: FallbackEvent[] = [];
    fallback.events.on('fallback', (e) => events.push(e));
    const error = new Error('down');
    await fallback.execute(async () => Promise.reject(error));
    expect(events).toEqual([expect.objectContaining({ type: 'fallback', patternType: 'fallback', patternName: 'prices', error })]);
    expect(onException).toHaveBeenCalledWith(
      expect.objectContaining({ patternType: 'fallback', patternName: 'prices', reason: 'callFailed', error }),
    );
  });

  it('requires a fallback and rejects unknown options', () => {
    expect(() => new Fallback({} as never)).toThrow(/fallback: is required/);
    expect(() => new Fallback({ fallback: 1, fallbak: 2 } as never)).toThrow(ConfigError);
  });

  it('counts the failures it replaced in stats()', async () => {
    const fallback = new Fallback({ fallback: 0, registry: false, exceptions: { handle: [NotFound] } });
    await fallback.execute(() => 1);
    await fallback.execute(() => Promise.reject(new NotFound('x')));
    await expect(fallback.execute(() => Promise.reject(new Error('unhandled')))).rejects.toThrow('unhandled');
    expect(fallback.stats()).toEqual({ fallbacks: 1 });
    const broken = new Fallback({ fallback: () => Promise.reject(new Error('cache down too')), registry: false });
    await expect(broken.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('cache down too');
    expect(broken.stats()).toEqual({ fallbacks: 0 });
  });
});
