import { describe, expect, it } from 'vitest';
import { BulwarkError, ConfigError, isBulwarkError, OperationTimeoutError } from '../../src/index';

describe('errors', () => {
  it('carries a stable code, an explicit name and a cause', () => {
    const cause = new Error('socket closed');
    const error = new OperationTimeoutError('redis-get', 250, 'timeout', { cause });
    expect(error).toBeInstanceOf(BulwarkError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('OperationTimeoutError');
    expect(error.code).toBe('OPERATION_TIMEOUT');
    expect(error.cause).toBe(cause);
    expect(error.timeoutMs).toBe(250);
    expect(String(error)).toContain('OperationTimeoutError: Operation timed out after 250 ms');
    expect(error.stack).toContain('OperationTimeoutError');
  });

  it('recognises bulwark errors by brand, optionally by code', () => {
    const error = new ConfigError('Retry options', [{ path: 'maxAttempts', message: 'must be ≥ 1' }]);
    expect(isBulwarkError(error)).toBe(true);
    expect(isBulwarkError(error, 'CONFIG_INVALID')).toBe(true);
    expect(isBulwarkError(error, 'OPERATION_TIMEOUT')).toBe(false);
    expect(isBulwarkError(new Error('plain'))).toBe(false);
    expect(isBulwarkError('CONFIG_INVALID')).toBe(false);
    expect(isBulwarkError(null)).toBe(false);
  });

  it('recognises an error from another copy of bulwark through the shared brand', () => {
    const foreign = Object.assign(new Error('from a duplicate install'), { code: 'OPERATION_TIMEOUT' });
    Object.defineProperty(foreign, Symbol.for('bulwark.error'), { value: true });
    expect(isBulwarkError(foreign, 'OPERATION_TIMEOUT')).toBe(true);
  });
});
