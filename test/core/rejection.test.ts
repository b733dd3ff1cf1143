import { describe, expect, it } from 'vitest';
import { quietRejection } from '../../src/core/rejection';

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
