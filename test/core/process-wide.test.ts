import { describe, expect, it, vi } from 'vitest';

describe('two copies of bulwark in one process', () => {
  it('share one bus, one default registry, one logger and one set of default names', async () => {
    const first = await import('../../src/index');
    vi.resetModules();
    const second = await import('../../src/index');
    expect(second.Retry).not.toBe(first.Retry);
    expect(second.bus).toBe(first.bus);
    expect(second.defaultRegistry).toBe(first.defaultRegistry);

    const heard = vi.fn();
    first.bus.on('retry:success', heard);
    try {
      const fromSecondCopy = new second.Retry({ name: 'second-copy-retry' });
      await fromSecondCopy.execute(() => 1);
      expect(heard).toHaveBeenCalledTimes(1);
      expect(first.defaultRegistry.get('second-copy-retry')).toBe(fromSecondCopy);
      expect(new first.Retry({ registry: second.defaultRegistry }).name).not.toBe(new second.Retry().name);
    } finally {
      first.bus.off('retry:success', heard);
      first.defaultRegistry.unregister('second-copy-retry');
    }

    const logger = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() };
    first.setLogger(logger);
    try {
      expect(second.getLogger()).toBe(first.getLogger());
      second.getLogger().warn({ copy: 'second' }, 'shared');
      expect(logger.warn).toHaveBeenCalledWith({ copy: 'second' }, 'shared');
    } finally {
      first.setLogger();
    }
  });
});
