import { describe, expect, it } from 'vitest';
import * as main from '../../src/index';
import * as middleware from '../../src/middleware/index';
import * as redis from '../../src/redis/index';
import { BulwarkError, isBulwarkError } from '../../src/index';

type ErrorConstructor = new (...args: unknown[]) => Error;

/**
 * Sample constructor arguments for the error classes whose signature is not the usual
 * `(policyName, reason, number, number)`; a new class with another signature adds its own here.
 */
const SAMPLE_ARGUMENTS: Record<string, unknown[]> = {
  BulwarkError: ['SOME_CODE', 'message'],
  ConfigError: ['Sample options', [{ path: 'field', message: 'is wrong' }]],
  RejectedError: ['SOME_CODE', 'message', 'policy', 'reason', 0],
  OperationTimeoutError: ['policy', 100],
  RedisStoreError: ['message'],
  FailureResponseError: [503],
  UnknownJobTypeError: ['type', ['known']],
};
const USUAL_ARGUMENTS = ['policy', 'reason', 1, 1];

/** Every exported class of the entries that is Error or extends it. */
const errorClasses = (Object.entries({ ...main, ...redis, ...middleware }) as [string, unknown][]).filter(
  (entry): entry is [string, ErrorConstructor] =>
    typeof entry[1] === 'function' && (entry[1] === Error || entry[1].prototype instanceof Error),
);

describe('exported error classes', () => {
  it('finds the error classes of every entry, RedisStoreError and FailureResponseError included', () => {
    expect(errorClasses.map(([name]) => name)).toEqual(
      expect.arrayContaining(['ConfigError', 'RateLimitError', 'RedisStoreError', 'FailureResponseError']),
    );
  });

  for (const [name, ErrorClass] of errorClasses) {
    it(`${name} is a BulwarkError with a stable code and its own name`, () => {
      let error: Error;
      try {
        error = new ErrorClass(...(SAMPLE_ARGUMENTS[name] ?? USUAL_ARGUMENTS));
      } catch (cause) {
        throw new Error(`cannot build a sample ${name}: add its constructor arguments to SAMPLE_ARGUMENTS`, { cause });
      }
      expect(error).toBeInstanceOf(BulwarkError);
      expect(isBulwarkError(error)).toBe(true);
      expect((error as BulwarkError).code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(error.name).toBe(name);
    });
  }
});
