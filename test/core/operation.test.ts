import { describe, expect, it, vi } from 'vitest';
import { CallContext } from '../../src/core/context';
import { runOperation } from '../../src/core/operation';
import { isPromiseLike } from '../../src/core/promise-like';

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

  it('never throws, and runs exactly one handler once, for a result whose then getter or then throws', async () => {
    const boom = new Error('hostile');
    const hostile = [
      {
        get then(): never {
          throw boom;
        },
      },
      {
        then(): never {
          throw boom;
        },
      },
    ];
    for (const result of hostile) {
      const onFulfilled = vi.fn((value: unknown) => value);
      const onRejected = vi.fn((error: unknown) => {
        throw error;
      });
      const call = runOperation(() => result, ctx, onFulfilled, onRejected);
      await expect(call).rejects.toBe(boom);
      expect(onRejected).toHaveBeenCalledOnce();
      expect(onFulfilled).not.toHaveBeenCalled();
      await expect(runOperation(() => result, ctx)).rejects.toBe(boom);
    }
  });

  it('settles once with the first callback of a thenable that calls both', async () => {
    const onFulfilled = vi.fn((value: string) => value);
    const onRejected = vi.fn((error: unknown) => {
      throw error;
    });
    const both = {
      then(resolve: (value: string) => void, reject: (reason: unknown) => void) {
        resolve('first');
        reject(new Error('second'));
        resolve('third');
      },
    };
    await expect(runOperation(() => both as PromiseLike<string>, ctx, onFulfilled, onRejected)).resolves.toBe('first');
    expect(onFulfilled).toHaveBeenCalledOnce();
    expect(onRejected).not.toHaveBeenCalled();
  });
});

describe('isPromiseLike', () => {
  it('tells thenables from plain values', () => {
    expect(isPromiseLike(Promise.resolve())).toBe(true);
    expect(isPromiseLike({ then: () => {} })).toBe(true);
    expect(isPromiseLike(Object.assign(() => {}, { then: () => {} }))).toBe(true);
    for (const value of [undefined, null, 0, 'then', {}, { then: 'not callable' }, () => {}]) {
      expect(isPromiseLike(value)).toBe(false);
    }
  });

  it('counts a value whose then getter throws as a thenable, without throwing', () => {
    const hostile = {
      get then(): never {
        throw new Error('hostile');
      },
    };
    expect(isPromiseLike(hostile)).toBe(true);
  });
});
