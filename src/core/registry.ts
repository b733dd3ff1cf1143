/**
 * A registry of named pattern instances, for health checks and metrics. Every instance joins
 * {@link defaultRegistry} unless its options say `registry: false` (or name another registry).
 * @module
 */
import { getLogger } from './logger';
import { processWide } from './process-wide';

/** What an instance says of its own health; see {@link Registrable.health}. */
export interface PatternHealth {
  /** Its state, for patterns that have one: a circuit breaker's state, a load shedder's load level. */
  readonly state?: string;
  /**
   * False when the state means trouble: a circuit that is not closed (a dependency is failing or
   * recovering), a load shedder at `high` or `critical` (the process is overloaded).
   */
  readonly healthy: boolean;
  /** A short explanation, when there is more to say than the state. */
  readonly detail?: string;
}

/** What a registry holds: any bulwark pattern instance. */
export interface Registrable {
  /** Instance name; unique within a registry. */
  readonly name: string;
  /** The kind of pattern, e.g. `'circuitBreaker'`. */
  readonly patternType: string;
  /** The instance's counters, when it keeps any. */
  stats?(): object;
  /** Its health; an instance without this method counts as healthy. */
  health?(): PatternHealth;
}

/** One instance in a {@link HealthReport}. */
export interface InstanceHealth extends PatternHealth {
  /** The kind of pattern. */
  readonly patternType: string;
  /** Its counters, as `stats()` returns them (plain data). */
  readonly stats?: object;
}

/** A JSON-serialisable snapshot of every registered instance: what `/healthz` can return. */
export interface HealthReport {
  /**
   * `degraded` when any instance reports itself unhealthy (a circuit breaker that is not closed, a
   * load shedder at `high` or `critical`); `ok` otherwise.
   */
  readonly status: 'ok' | 'degraded';
  /** When the snapshot was taken, in ms since the epoch. */
  readonly timestamp: number;
  /** Every live instance, by name. */
  readonly instances: Readonly<Record<string, InstanceHealth>>;
}

/**
 * Named instances, held weakly: registering never keeps an instance alive, and an instance that
 * was garbage-collected disappears from {@link Registry.list}. Registering a second live instance
 * under a name replaces the first (with a logged warning), so that health checks show one entry
 * per name.
 */
export class Registry {
  readonly #instances = new Map<string, WeakRef<Registrable>>();
  readonly #cleanup = new FinalizationRegistry<{ name: string; ref: WeakRef<Registrable> }>(({ name, ref }) => {
    if (this.#instances.get(name) === ref) this.#instances.delete(name);
  });

  /** Adds `instance` under its name, replacing any other live instance of that name. */
  register(instance: Registrable): void {
    const existing = this.#instances.get(instance.name)?.deref();
    if (existing === instance) return;
    if (existing !== undefined) {
      getLogger().warn(
        { name: instance.name, patternType: instance.patternType },
        'bulwark: a second instance registered under this name replaces the first in the registry',
      );
    }
    const ref = new WeakRef(instance);
    this.#instances.set(instance.name, ref);
    this.#cleanup.register(instance, { name: instance.name, ref });
  }

  /** Removes the instance registered under `name`; true when there was one. */
  unregister(name: string): boolean {
    return this.#instances.delete(name);
  }

  /** The live instance registered under `name`, if any. */
  get(name: string): Registrable | undefined {
    return this.#instances.get(name)?.deref();
  }

  /** Every live instance, in registration order. */
  list(): Registrable[] {
    const live: Registrable[] = [];
    for (const ref of this.#instances.values()) {
      const instance = ref.deref();
      if (instance !== undefined) live.push(instance);
    }
    return live;
  }

  /**
   * A JSON-serialisable snapshot of every live instance's state and counters.
   * @param now - the snapshot's timestamp, ms since the epoch
   */
  health(now: number = Date.now()): HealthReport {
    const instances: Record<string, InstanceHealth> = {};
    let degraded = false;
    for (const instance of this.list()) {
      const health = instance.health?.() ?? { healthy: true };
      const stats = instance.stats?.();
      if (!health.healthy) degraded = true;
      instances[instance.name] = {
        patternType: instance.patternType,
        ...health,
        ...(stats === undefined ? {} : { stats }),
      };
    }
    return { status: degraded ? 'degraded' : 'ok', timestamp: now, instances };
  }
}

/** The registry every instance joins unless its options say otherwise. */
export const defaultRegistry: Registry = processWide('defaultRegistry', () => new Registry());

/**
 * Registers `instance` as its options ask: in `registry`, in {@link defaultRegistry} when that is
 * undefined, nowhere when it is `false`.
 * @internal
 */
export function registerInstance(instance: Registrable, registry: Registry | false | undefined): void {
  if (registry === false) return;
  (registry ?? defaultRegistry).register(instance);
}
