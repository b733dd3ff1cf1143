import { describe, expect, it, vi } from 'vitest';
import { CallContext } from '../../src/core/context';
import { runOperation } from '../../src/core/operation';

const ctx = new CallContext(1, undefined, 'normal', undefined, undefined);

describe('runOperation', () => {
  it('resolves with a synchronous result and rejects with a synchronous throw', async () => {
    await expect(runOperation(() => 42, ctx)).resolves.toBe(42);
    const boom = new Error('boom');
    await expect(
      runOperation(() => {
        throw boom;
      }, ctx),
    ).rejects.toBe(boom);
  });

  it('adopts promises and other thenables', async () => {
    await expect(runOperation(() => Promise.resolve('async'), ctx)).resolves.toBe('async');
    const thenable = { then: (resolve: (value: string) => void) => resolve('thenable') };
    await expect(runOperation(() => thenable as PromiseLike<string>, ctx)).resolves.toBe('thenable');
  });

  it('hands the function the context it is given', async () => {
    await expect(runOperation((seen) => seen, ctx)).resolves.toBe(ctx);
  });

  it('applies the handlers to every kind of outcome, a synchronous one before returning', async () => {
    const onFulfilled = vi.fn((value: number) => value * 2);
    const onRejected = vi.fn((error: unknown) => {
      throw new Error(`wrapped ${String((error as Error).message)}`);
    });
    const sync = runOperation(() => 2, ctx, onFulfilled, onRejected);
    expect(onFulfilled).toHaveBeenCalledWith(2);
    await expect(sync).resolves.toBe(4);
    await expect(runOperation(() => Promise.resolve(3), ctx, onFulfilled, onRejected)).resolves.toBe(6);
    await expect(
      runOperation(
        () => {
          throw new Error('sync');
        },
        ctx,
        onFulfilled,
        onRejected,
      ),
    ).rejects.toThrow('wrapped sync');
    await expect(runOperation(() => Promise.reject(new Error('async')), ctx, onFulfilled, onRejected)).rejects.toThrow(
      'wrapped async',
    );
  });

  it('lets an onRejected handler recover with a value', async () => {
    await expect(runOperation(() => Promise.reject(new Error('x')), ctx, undefined, () => 'recovered')).resolves.toBe(
      'recovered',
    );
  });
});
