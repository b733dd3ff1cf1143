/**
 * Typed events. Each instance has an emitter with its own event map (mitt's API), and every event
 * is also published on one process-wide bus as `` `${patternType}:${eventName}` ``.
 *
 * Emitting is guarded: an event object is built only when someone listens (see
 * {@link EventHub.has}), and a listener that throws is logged, never allowed to change the
 * outcome of a call.
 * @module
 */
import mitt, { type Emitter, type EventHandlerMap, type Handler, type WildcardHandler } from 'mitt';
import { getLogger } from './logger';
import { processWide } from './process-wide';
import { isPromiseLike } from './promise-like';

/** Fields carried by every event object. */
export interface BulwarkEvent<Type extends string = string> {
  /** Event name within its pattern, e.g. `retry`. */
  readonly type: Type;
  /** The kind of pattern that emitted it, e.g. `'retry'`. */
  readonly patternType: string;
  /** The `name` of the instance that emitted it. */
  readonly patternName: string;
  /** When it happened, in ms since the epoch, from the instance's clock. */
  readonly timestamp: number;
}

/** A typed emitter with mitt's API (`on`, `off`, `emit`, `all`); `'*'` receives every event. */
export type EventEmitter<Events extends Record<string, unknown>> = Emitter<Events>;

/**
 * Bumped on every `on`/`off` of any bulwark emitter, so that {@link EventHub.has} can cache its
 * answer and cost one comparison per call.
 */
const listenerChanges = processWide('listenerVersion', () => ({ version: 0 }));

/** mitt's handler map, invalidating the listener caches when changed directly (e.g. `all.clear()`). */
class HandlerMap<K, V> extends Map<K, V> {
  override set(key: K, value: V): this {
    listenerChanges.version++;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    listenerChanges.version++;
    return super.delete(key);
  }

  override clear(): void {
    listenerChanges.version++;
    super.clear();
  }
}

/**
 * A mitt emitter whose `on`/`off` invalidate the listener caches and whose `emit` isolates
 * listener errors (mitt's own `emit` lets the first throwing listener stop the rest).
 */
function createEmitter<Events extends Record<string, unknown>>(): Emitter<Events> {
  const inner = mitt<Events>(new HandlerMap() as EventHandlerMap<Events>);
  const emitter: Emitter<Events> = {
    all: inner.all,
    on(type: keyof Events | '*', handler: Handler<never> | WildcardHandler<Events>) {
      inner.on(type as keyof Events, handler as Handler<Events[keyof Events]>);
      listenerChanges.version++;
    },
    off(type: keyof Events | '*', handler?: Handler<never> | WildcardHandler<Events>) {
      inner.off(type as keyof Events, handler as Handler<Events[keyof Events]>);
      listenerChanges.version++;
    },
    emit(type: keyof Events, event?: unknown) {
      dispatch(inner.all as unknown as EventHandlerMap<Record<string, unknown>>, type as string, event);
    },
  } as Emitter<Events>;
  return emitter;
}

/** Calls the handlers for `type`, then the `'*'` handlers, each isolated from the others. */
function dispatch(all: EventHandlerMap<Record<string, unknown>>, type: string, event: unknown): void {
  const handlers = all.get(type) as Handler[] | undefined;
  if (handlers !== undefined && handlers.length > 0) {
    if (handlers.length === 1) callSafely(handlers[0] as Handler, type, event, false);
    else for (const handler of handlers.slice()) callSafely(handler, type, event, false);
  }
  const wildcards = all.get('*') as WildcardHandler[] | undefined;
  if (wildcards !== undefined && wildcards.length > 0) {
    for (const handler of wildcards.slice()) callSafely(handler, type, event, true);
  }
}

function callSafely(handler: Handler | WildcardHandler, type: string, event: unknown, wildcard: boolean): void {
  try {
    const result: unknown = wildcard
      ? (handler as WildcardHandler)(type, event as Record<string, unknown>[string])
      : (handler as Handler)(event);
    if (isPromiseLike(result)) result.then(undefined, (error: unknown) => logListenerError(error, type));
  } catch (error) {
    logListenerError(error, type);
  }
}

function logListenerError(error: unknown, type: string): void {
  getLogger().error({ err: error, event: type }, 'bulwark: an event listener threw; the call is unaffected');
}

/**
 * The process-wide bus, untyped; `src/bus.ts` re-exports it with the full event map of every
 * pattern (core cannot import patterns).
 * @internal
 */
export const globalBus: Emitter<Record<string, BulwarkEvent>> = processWide('bus', () =>
  createEmitter<Record<string, BulwarkEvent>>(),
);

function hasHandlers(all: EventHandlerMap<Record<string, unknown>>, type: string): boolean {
  const handlers = all.get(type);
  return handlers !== undefined && handlers.length > 0;
}

/** Who listens to an event type: bit 1, the instance; bit 2, the bus. */
const LOCAL = 1;
const BUS = 2;

/**
 * The event plumbing of one pattern instance: its public emitter plus publication on the bus.
 * Patterns call `if (hub.has('retry')) hub.emit('retry', now, { ... })` so that nothing is built
 * or timed when nobody listens. Who listens is cached per event type until any emitter's
 * listeners change, so `has` costs a comparison and a property read.
 * @internal
 */
export class EventHub<Events extends { [K in keyof Events]: BulwarkEvent<K & string> }> {
  /** The instance's own emitter, exposed as `instance.events`. */
  readonly emitter: Emitter<Events>;
  readonly #patternType: string;
  readonly #patternName: string;
  readonly #busTypes: Record<string, string> = Object.create(null) as Record<string, string>;
  #cacheVersion = -1;
  /** Who listens, by event type: a plain object (fast properties), rebuilt when listeners change. */
  #listeners: Record<string, number> = {};

  constructor(patternType: string, patternName: string) {
    this.emitter = createEmitter<Events>();
    this.#patternType = patternType;
    this.#patternName = patternName;
  }

  /** Whether anyone would receive an event of `type`, on this instance or on the bus. */
  has(type: keyof Events & string): boolean {
    return this.#listenersOf(type) !== 0;
  }

  /**
   * Completes `fields` into the event object (adding the common fields to it) and delivers it to
   * the instance's listeners and the bus. Call only after {@link EventHub.has} said yes, with a
   * fresh object: it becomes the event.
   */
  emit<K extends keyof Events & string>(type: K, timestamp: number, fields: Omit<Events[K], keyof BulwarkEvent>): void {
    const event = fields as Record<string, unknown>;
    event['type'] = type;
    event['patternType'] = this.#patternType;
    event['patternName'] = this.#patternName;
    event['timestamp'] = timestamp;
    const listeners = this.#listenersOf(type);
    if ((listeners & LOCAL) !== 0) this.emitter.emit(type, event as unknown as Events[K]);
    if ((listeners & BUS) !== 0) globalBus.emit(this.#busType(type), event as unknown as BulwarkEvent);
  }

  #listenersOf(type: string): number {
    if (this.#cacheVersion !== listenerChanges.version) {
      this.#listeners = {};
      this.#cacheVersion = listenerChanges.version;
    }
    let listeners = this.#listeners[type];
    if (listeners === undefined) {
      const local = this.emitter.all as EventHandlerMap<Record<string, unknown>>;
      const bus = globalBus.all as EventHandlerMap<Record<string, unknown>>;
      listeners =
        (hasHandlers(local, type) || hasHandlers(local, '*') ? LOCAL : 0) |
        (hasHandlers(bus, this.#busType(type)) || hasHandlers(bus, '*') ? BUS : 0);
      this.#listeners[type] = listeners;
    }
    return listeners;
  }

  #busType(type: string): string {
    return (this.#busTypes[type] ??= `${this.#patternType}:${type}`);
  }
}
