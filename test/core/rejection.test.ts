import { describe, expect, it } from 'vitest';
import { isBulwarkError, isRejectedError, RejectedError } from '../../src/core/errors';
import { quietRejection, Rejections } from '../../src/core/rejection';

describe('quietRejection', () => {
  it('rejects the caller with the reason', async () => {
    const reason = new Error('refused');
    await expect(quietRejection(reason)).rejects.toBe(reason);
  });

  it('raises no unhandled rejection when the caller attaches its handler later or never', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const late = quietRejection(new Error('late'));
      void quietRejection(new Error('ignored'));
      await new Promise((resolve) => setTimeout(resolve, 5));
      await expect(late).rejects.toThrow('late');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

describe('Rejections', () => {
  class RefusedError extends RejectedError {
    declare readonly reason: 'full' | 'late';
    readonly limit: number;
    constructor(reason: 'full' | 'late', limit: number) {
      super('REFUSED', `refused: ${reason}`, 'pool', reason, 0);
      this.limit = limit;
    }
    override get name(): string {
      return 'RefusedError';
    }
  }
  const build = (reason: 'full' | 'late') => new RefusedError(reason, 1);

  it('makes stackless errors that are real instances with every field and a fixed stack', () => {
    const errors = new Rejections(build, false);
    const error = errors.create('full', { retryAfterMs: 250, limit: 7 });
    expect(error).toBeInstanceOf(RefusedError);
    expect(error).toBeInstanceOf(RejectedError);
    expect(isRejectedError(error)).toBe(true);
    expect(isBulwarkError(error, 'REFUSED')).toBe(true);
    expect(error).toMatchObject({ name: 'RefusedError', message: 'refused: full', reason: 'full', policyName: 'pool' });
    expect(error.retryAfterMs).toBe(250);
    expect(error.limit).toBe(7);
    expect(error.stack).toBe('RefusedError: refused: full\n    (no stack trace: set captureRejectionStacks on the policy to capture one)');
  });

  it('gives every error of one variant the same prototype, and each variant its own', () => {
    const errors = new Rejections(build, false);
    const first = errors.create('full');
    const second = errors.create('full', { retryAfterMs: 5 });
    const late = errors.create('late');
    expect(Object.getPrototypeOf(first)).toBe(Object.getPrototypeOf(second));
    expect(Object.getPrototypeOf(late)).not.toBe(Object.getPrototypeOf(first));
    expect(late.reason).toBe('late');
    expect(first.retryAfterMs).toBe(0);
    const again = errors.create('full');
    expect(Object.getPrototypeOf(again)).toBe(Object.getPrototypeOf(first));
    expect(again.reason).toBe('full');
  });

  it('lets a policy define a field computed when read on a variant prototype', () => {
    const errors = new Rejections(build, false);
    let left = 100;
    Object.defineProperty(errors.prototypeOf('full'), 'retryAfterMs', { get: () => left, enumerable: true });
    const error = errors.create('full');
    left = 40;
    expect(error.retryAfterMs).toBe(40);
  });

  it('builds real errors, with the stack of the refusal, when stacks are captured', () => {
    const errors = new Rejections(build, true);
    const error = errors.create('late', { retryAfterMs: 9 });
    expect(error).toBeInstanceOf(RefusedError);
    expect(error.retryAfterMs).toBe(9);
    expect(error.stack).toContain('at ');
    expect(Object.getPrototypeOf(error)).toBe(RefusedError.prototype);
  });
});
