import { describe, expect, it, vi } from 'vitest';
import { parseOptions, commonOptionsShape } from '../../src/core/config';
import type { InternalContext } from '../../src/core/context';
import { RejectedError } from '../../src/core/errors';
import type { BulwarkEvent } from '../../src/core/events';
import { runOperation, type Operation } from '../../src/core/operation';
import { Pattern } from '../../src/core/pattern';
import { quietRejection } from '../../src/core/rejection';
import { Registry } from '../../src/core/registry';
import { bus } from '../../src/index';
import { z } from 'zod';

interface GateRejectedEvent extends BulwarkEvent<'rejected'> {
  readonly reason: string;
  readonly open: boolean;
}
type GateEvents = { rejected: GateRejectedEvent };

/** A pattern made with the kit alone: runs calls while open, refuses them while shut. */
class Gate extends Pattern<GateEvents, { runs: number }> {
  open = true;
  runs = 0;
  disposed = 0;

  constructor(options: Record<string, unknown> = {}) {
    const resolved = parseOptions(z.strictObject({ ...commonOptionsShape }), options, 'Gate options');
    super('gate', resolved);
    this.register(resolved.registry);
  }

  stats() {
    return { runs: this.runs };
  }

  override dispose(): void {
    this.disposed++;
  }

  protected run<T>(fn: Operation<T>, ctx: InternalContext): Promise<T> {
    if (!this.open) {
      const error = new RejectedError('GATE_SHUT', 'shut', this.name, 'shut', 10);
      return quietRejection(this.refusal(error, 'gateShut', this.rejectionObserved ? { open: false } : undefined));
    }
    this.runs++;
    return runOperation(fn, ctx);
  }
}

describe('Pattern (the kit every pattern is made with)', () => {
  it('names, registers and describes an instance from the common options', () => {
    const registry = new Registry();
    const gate = new Gate({ registry });
    expect(gate.name).toMatch(/^gate-\d+$/);
    expect(gate.patternType).toBe('gate');
    expect(registry.get(gate.name)).toBe(gate);
    expect(gate.health()).toEqual({ healthy: true });
    expect(registry.health().instances[gate.name]).toEqual({ patternType: 'gate', healthy: true, stats: { runs: 0 } });
  });

  it('refuses a call whose signal has already aborted with its reason, before the pattern runs it', async () => {
    const gate = new Gate({ registry: false });
    const fn = vi.fn(() => 'ran');
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    await expect(gate.execute(fn, { signal: controller.signal })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
    expect(gate.runs).toBe(0);
    await expect(gate.execute(fn)).resolves.toBe('ran');
  });

  it('returns a refusal unchanged when nobody observes it', async () => {
    const gate = new Gate({ registry: false });
    gate.open = false;
    const error = await gate.execute(() => 'never').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RejectedError);
    expect(error).toMatchObject({ reason: 'shut', retryAfterMs: 10 });
  });

  it('announces a refusal: rejected event with its reason and details, onException, transform', async () => {
    const onException = vi.fn();
    const replacement = new Error('service unavailable');
    const gate = new Gate({ registry: false, exceptions: { onException, transform: () => replacement } });
    const local = vi.fn();
    const global = vi.fn();
    gate.events.on('rejected', local);
    bus.on('*', global);
    try {
      gate.open = false;
      await expect(gate.execute(() => 'never')).rejects.toBe(replacement);
    } finally {
      bus.off('*', global);
    }
    expect(local).toHaveBeenCalledWith(
      expect.objectContaining({ type: 'rejected', patternType: 'gate', patternName: gate.name, reason: 'shut', open: false }),
    );
    expect(global).toHaveBeenCalledWith('gate:rejected', expect.objectContaining({ reason: 'shut' }));
    expect(onException).toHaveBeenCalledWith(
      expect.objectContaining({ reason: 'gateShut', patternType: 'gate', metadata: { reason: 'shut', open: false } }),
    );
  });

  it('disposes through dispose() and await using', async () => {
    const gate = new Gate({ registry: false });
    {
      await using scoped = gate;
      expect(scoped.disposed).toBe(0);
    }
    expect(gate.disposed).toBe(1);
  });
});
