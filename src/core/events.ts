/**
 * Typed events. Each instance has an emitter with its own event map (mitt's API, plus `once` and
 * subscriptions that end themselves), and every event is also published on one process-wide bus
 * as `` `${patternType}:${eventName}` ``.
 *
 * Emitting is guarded: an event object is built only when someone listens (see
 * {@link EventHub.has}), and a listener that throws is logged, never allowed to change the
 * outcome of a call. Every event is also published on the `node:diagnostics_channel` channel
 * `bulwark:<patternType>` when that channel has subscribers (as undici and ioredis publish theirs).
 * @module
 */
import { channel, type Channel } from 'node:diagnostics_channel';
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

/**
 * Ends one subscription made with {@link EventEmitter.on} or {@link EventEmitter.once}: call it, or
 * let `using` dispose of it. Idempotent.
 *
 * @example
 * ```ts
 * {
 *   using _ = breaker.events.on('stateChange', (e) => log.warn(`${e.from} -> ${e.to}`));
 *   await runBatch();
 * } // the listener is removed here
 * ```
 */
export interface Unsubscribe {
  /** Removes the listener (and the subscription's abort listener on its `signal`, if any). */
  (): void;
  /** The same, for `using`. */
  [Symbol.dispose](): void;
}

/** Options of {@link EventEmitter.on} and {@link EventEmitter.once}. */
export interface SubscribeOptions {
  /**
   * Ends the subscription when it aborts; a signal that has already aborted subscribes nothing.
   * The emitter's listener on it is removed when the subscription ends in any other way.
   */
  signal?: AbortSignal | undefined;
}

/** A listener of one event type. */
export type EventHandler<Event> = (event: Event) => void;

/** A listener of every event type (`'*'`): it receives the type first. */
export type WildcardEventHandler<Events> = (type: keyof Events, event: Events[keyof Events]) => void;

/**
 * A typed emitter with mitt's API (`on`, `off`, `emit`, `all`) and two additions: `on` returns an
 * {@link Unsubscribe} (also a `Disposable`) and takes a `signal` that ends the subscription, and
 * `once` listens to one event. `'*'` receives every event.
 */
export interface EventEmitter<Events extends Record<string, unknown>> {
  /** The listeners, by event type (`'*'` for every type); clearing it removes every subscription. */
  readonly all: Map<keyof Events | '*', Array<EventHandler<never> | WildcardEventHandler<Events>>>;
  /** Calls `handler` with every event of `type` until the returned function is called or `signal` aborts. */
  on<Type extends keyof Events>(type: Type, handler: EventHandler<Events[Type]>, options?: SubscribeOptions): Unsubscribe;
  /** Calls `handler` with every event, and its type first. */
  on(type: '*', handler: WildcardEventHandler<Events>, options?: SubscribeOptions): Unsubscribe;
  /** Calls `handler` with the next event of `type` only (unless unsubscribed first). */
  once<Type extends keyof Events>(type: Type, handler: EventHandler<Events[Type]>, options?: SubscribeOptions): Unsubscribe;
  /** Calls `handler` with the next event of any type only. */
  once(type: '*', handler: WildcardEventHandler<Events>, options?: SubscribeOptions): Unsubscribe;
  /** Removes one subscription of `handler` (made with `on` or `once`), or every listener of `type`. */
  off<Type extends keyof Events>(type: Type, handler?: EventHandler<Events[Type]>): void;
  /** Removes one `'*'` subscription of `handler`, or every `'*'` listener. */
  off(type: '*', handler?: WildcardEventHandler<Events>): void;
  /** Delivers `event` to the listeners of `type`, then to the `'*'` listeners, each isolated from the others. */
  emit<Type extends keyof Events>(type: Type, event: Events[Type]): void;
}

/** Any listener, as stored. */
type Listener = (...args: never[]) => unknown;

/**
 * What `once` and a `signal` subscription store in place of the user's handler: a wrapper that
 * knows the handler (so that `off(type, handler)` finds it) and how to end the subscription (so
 * that ending it by any path also removes the abort listener).
 */
interface Subscription {
  (...args: unknown[]): unknown;
  readonly listener: Listener;
  readonly end: () => void;
}

/** The handler map of every emitter. */
type Handlers = Map<string, Listener[]>;

/**
 * Bumped whenever the listeners of any bulwark emitter change, so that {@link EventHub.has} can
 * cache its answer and cost one comparison per call.
 */
const listenerChanges = processWide('listenerVersion', () => ({ version: 0 }));

/**
 * The handler map: invalidates the listener caches when changed directly (e.g. `all.clear()`),
 * and ends the subscriptions whose handlers it drops that way.
 */
class HandlerMap extends Map<string, Listener[]> {
  override set(key: string, value: Listener[]): this {
    listenerChanges.version++;
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    const handlers = this.get(key);
    listenerChanges.version++;
    const deleted = super.delete(key);
    if (handlers !== undefined) endSubscriptions(handlers);
    return deleted;
  }

  override clear(): void {
    const dropped = [...this.values()];
    listenerChanges.version++;
    super.clear();
    for (const handlers of dropped) endSubscriptions(handlers);
  }
}

/**
 * An emitter whose subscriptions invalidate the listener caches and whose `emit` isolates
 * listener errors (mitt's own `emit` lets the first throwing listener stop the rest).
 */
function createEmitter<Events extends Record<string, unknown>>(): EventEmitter<Events> {
  const all: Handlers = new HandlerMap();
  const emitter = {
    all,
    on: (type: string, handler: Listener, options?: SubscribeOptions) => subscribe(all, type, handler, options, false),
    once: (type: string, handler: Listener, options?: SubscribeOptions) => subscribe(all, type, handler, options, true),
    off: (type: string, handler?: Listener) => unsubscribe(all, type, handler),
    emit: (type: string, event: unknown) => dispatch(all, type, event),
  };
  return emitter as unknown as EventEmitter<Events>;
}

const ENDED: Unsubscribe = Object.assign(() => {}, { [Symbol.dispose]: () => {} });

/**
 * Adds `handler` for `type`: as it is for a plain `on` (so that emitting calls it directly), or
 * wrapped in a {@link Subscription} for `once` and for a `signal`.
 */
function subscribe(all: Handlers, type: string, handler: Listener, options: SubscribeOptions | undefined, once: boolean): Unsubscribe {
  const signal = options?.signal;
  if (signal?.aborted === true) return ENDED;
  let handlers = all.get(type);
  if (handlers === undefined) all.set(type, (handlers = []));
  listenerChanges.version++;
  let ended = false;
  if (!once && signal === undefined) {
    handlers.push(handler);
    return unsubscriber(() => {
      if (ended) return;
      ended = true;
      remove(all, type, handler);
    });
  }
  const end = (): void => {
    if (ended) return;
    ended = true;
    remove(all, type, subscription);
    signal?.removeEventListener('abort', end);
  };
  const call = (...args: unknown[]): unknown => {
    if (once) end();
    return (handler as (...args: unknown[]) => unknown)(...args);
  };
  const subscription: Subscription = Object.assign(call, { listener: handler, end });
  signal?.addEventListener('abort', end, { once: true });
  handlers.push(subscription);
  return unsubscriber(end);
}

/** `end` as an {@link Unsubscribe}. */
function unsubscriber(end: () => void): Unsubscribe {
  return Object.assign(end, { [Symbol.dispose]: end });
}

/** Removes the first occurrence of exactly `listener` from the listeners of `type`. */
function remove(all: Handlers, type: string, listener: Listener): void {
  const handlers = all.get(type);
  if (handlers === undefined) return;
  const index = handlers.indexOf(listener);
  if (index < 0) return;
  handlers.splice(index, 1);
  listenerChanges.version++;
}

/** `off`: removes the first subscription of `handler` to `type`, or every listener of `type`. */
function unsubscribe(all: Handlers, type: string, handler: Listener | undefined): void {
  const handlers = all.get(type);
  if (handlers === undefined) return;
  if (handler === undefined) {
    all.set(type, []);
    endSubscriptions(handlers);
    return;
  }
  const index = handlers.findIndex((listener) => listener === handler || (listener as Partial<Subscription>).listener === handler);
  if (index < 0) return;
  const [removed] = handlers.splice(index, 1);
  listenerChanges.version++;
  (removed as Partial<Subscription>).end?.();
}

/** Ends the wrapped subscriptions among `handlers`, which are no longer in the map. */
function endSubscriptions(handlers: readonly Listener[]): void {
  for (const handler of handlers) (handler as Partial<Subscription>).end?.();
}

/** Calls the handlers for `type`, then the `'*'` handlers, each isolated from the others. */
function dispatch(all: Handlers, type: string, event: unknown): void {
  deliver(all, type, event, true);
}

/**
 * {@link dispatch}, told whether to look up the `'*'` handlers: an {@link EventHub} knows from its
 * cache that there are none and spares the lookup.
 */
function deliver(all: Handlers, type: string, event: unknown, wildcards: boolean): void {
  const handlers = all.get(type);
  if (handlers !== undefined && handlers.length > 0) {
    if (handlers.length === 1) callListener(handlers[0] as Listener, type, event);
    else for (const handler of handlers.slice()) callListener(handler, type, event);
  }
  if (!wildcards) return;
  const wildcardHandlers = all.get('*');
  if (wildcardHandlers !== undefined && wildcardHandlers.length > 0) {
    for (const handler of wildcardHandlers.slice()) callWildcard(handler, type, event);
  }
}

function callListener(handler: Listener, type: string, event: unknown): void {
  try {
    const result = (handler as (event: unknown) => unknown)(event);
    if (result !== undefined && isPromiseLike(result)) result.then(undefined, (error: unknown) => logListenerError(error, type));
  } catch (error) {
    logListenerError(error, type);
  }
}

function callWildcard(handler: Listener, type: string, event: unknown): void {
  try {
    const result = (handler as (type: string, event: unknown) => unknown)(type, event);
    if (result !== undefined && isPromiseLike(result)) result.then(undefined, (error: unknown) => logListenerError(error, type));
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
export const globalBus: EventEmitter<Record<string, BulwarkEvent>> = processWide('bus', () =>
  createEmitter<Record<string, BulwarkEvent>>(),
);

function hasHandlers(all: Handlers, type: string): boolean {
  const handlers = all.get(type);
  return handlers !== undefined && handlers.length > 0;
}

/**
 * Who listens to an event type: bit 1, the instance; bit 2, the bus; bit 4, the instance's `'*'`
 * listeners (set with bit 1).
 */
const LOCAL = 1;
const BUS = 2;
const LOCAL_WILDCARD = 4;

/**
 * Whether anyone would receive an event of some types of one {@link EventHub} (see
 * {@link EventHub.query}): the emitters' answer kept until any emitter's listeners change, the
 * diagnostics channel's read each time (subscribing to it changes no emitter).
 * @internal
 */
export class ListenerQuery {
  readonly #ask: () => boolean;
  readonly #channel: Channel;
  #version = -1;
  #answer = false;

  /**
   * @param ask - whether any emitter listens, asked again after each change of listeners
   * @param channel - the hub's diagnostics channel
   */
  constructor(ask: () => boolean, channel: Channel) {
    this.#ask = ask;
    this.#channel = channel;
  }

  /** Whether anyone would receive such an event now. */
  get anyone(): boolean {
    if (this.#version !== listenerChanges.version) this.#refresh();
    return this.#answer || this.#channel.hasSubscribers;
  }

  #refresh(): void {
    this.#answer = this.#ask();
    this.#version = listenerChanges.version;
  }
}

/**
 * The event plumbing of one pattern instance: its public emitter plus publication on the bus and
 * on the diagnostics channel `bulwark:<patternType>`. Patterns call
 * `if (hub.has('retry')) hub.emit('retry', now, { ... })` so that nothing is built or timed when
 * nobody listens. Who listens is cached per event type until any emitter's listeners change, so
 * `has` costs a comparison and a property read; the channel's `hasSubscribers` is read only when
 * no emitter listens (a getter Node answers from the channel's class, without a lookup). A check
 * made on every call of a hot path (a closed breaker's outcome, a retry's success, a queue job's
 * progress) holds a {@link EventHub.query} instead, made once per instance; `has` is for events
 * raised now and then (a state change, a refusal, a retry).
 * @internal
 */
export class EventHub<Events extends { [K in keyof Events]: BulwarkEvent<K & string> }> {
  /** The instance's own emitter, exposed as `instance.events`. */
  readonly emitter: EventEmitter<Events>;
  /** The emitter's handler map, to deliver without going through its `emit`. */
  readonly #localHandlers: Handlers;
  readonly #patternType: string;
  readonly #patternName: string;
  readonly #busTypes: Record<string, string> = Object.create(null) as Record<string, string>;
  /** `bulwark:<patternType>`; held here so that Node keeps the channel (it holds channels weakly). */
  readonly #channel: Channel;
  #cacheVersion = -1;
  /** Who listens, by event type: a plain object (fast properties), rebuilt when listeners change. */
  #listeners: Record<string, number> = {};

  constructor(patternType: string, patternName: string) {
    this.emitter = createEmitter<Events>();
    this.#localHandlers = this.emitter.all as unknown as Handlers;
    this.#patternType = patternType;
    this.#patternName = patternName;
    this.#channel = channel(`bulwark:${patternType}`);
  }

  /** Whether anyone would receive an event of `type`: on this instance, on the bus or on its diagnostics channel. */
  has(type: keyof Events & string): boolean {
    return this.#listenersOf(type) !== 0 || this.#channel.hasSubscribers;
  }

  /**
   * A question a hot path asks on every call, "would anyone receive an event of any of `types`?",
   * answered by a {@link ListenerQuery}: one comparison while no emitter's listeners change, where
   * {@link EventHub.has} looks each type up in a cache keyed by type.
   */
  query(...types: (keyof Events & string)[]): ListenerQuery {
    return new ListenerQuery(() => types.some((type) => this.#listenersOf(type) !== 0), this.#channel);
  }

  /**
   * Completes `fields` into the event object (adding the common fields to it) and delivers it to
   * the instance's listeners, the bus and the diagnostics channel. Call only after {@link EventHub.has} said yes, with a
   * fresh object: it becomes the event. A hot path may pass a complete event instead (its common
   * fields first, the timestamp as it likes): they are then written in place, where adding them
   * to a literal without them moves its properties out of the object, an allocation per event.
   */
  emit<K extends keyof Events & string>(type: K, timestamp: number, fields: Omit<Events[K], keyof BulwarkEvent>): void {
    const event = fields as Record<string, unknown>;
    event['type'] = type;
    event['patternType'] = this.#patternType;
    event['patternName'] = this.#patternName;
    event['timestamp'] = timestamp;
    const listeners = this.#listenersOf(type);
    if ((listeners & LOCAL) !== 0) deliver(this.#localHandlers, type, event, (listeners & LOCAL_WILDCARD) !== 0);
    if ((listeners & BUS) !== 0) globalBus.emit(this.#busType(type), event as unknown as BulwarkEvent);
    if (this.#channel.hasSubscribers) this.#channel.publish(event);
  }

  /**
   * Who listens to `type`, from the cache. Kept this small so that V8 inlines it into `has` and
   * `has` into its callers, where `type` is a constant and the cache read a named property load.
   */
  #listenersOf(type: string): number {
    const listeners = this.#cacheVersion === listenerChanges.version ? this.#listeners[type] : undefined;
    return listeners === undefined ? this.#lookUpListeners(type) : listeners;
  }

  /** Who listens to `type`, looked up in the handler maps and cached until any emitter's listeners change. */
  #lookUpListeners(type: string): number {
    if (this.#cacheVersion !== listenerChanges.version) {
      this.#listeners = {};
      this.#cacheVersion = listenerChanges.version;
    }
    const local = this.#localHandlers;
    const bus = globalBus.all as unknown as Handlers;
    const localWildcard = hasHandlers(local, '*');
    const listeners =
      (localWildcard ? LOCAL | LOCAL_WILDCARD : hasHandlers(local, type) ? LOCAL : 0) |
      (hasHandlers(bus, this.#busType(type)) || hasHandlers(bus, '*') ? BUS : 0);
    this.#listeners[type] = listeners;
    return listeners;
  }

  #busType(type: string): string {
    return (this.#busTypes[type] ??= `${this.#patternType}:${type}`);
  }
}
