/**
 * The request as the guard and its options see it, whatever the framework: method, path, headers
 * and client address.
 * @module
 */
import type { ClientAddress } from './client-ip';

/**
 * Request headers as a framework holds them: Node's `IncomingHttpHeaders` (lower-case names) or a
 * Fetch `Headers`.
 */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>> | FetchHeaders;

/** Headers read through `get`, as a Fetch `Headers` object. */
export interface FetchHeaders {
  /** The value of header `name` (case-insensitive), or null when absent. */
  get(name: string): string | null;
}

/** What the guard's options (`key`, `priority`, `cost`, `skip`, `onRejected`) see of a request. */
export interface GuardRequest {
  /** The method, e.g. `GET`. */
  readonly method: string;
  /** The path, without the query string, e.g. `/users/42`. */
  readonly path: string;
  /**
   * The pattern of the matched route (`/users/:id`) when the framework knows it before the
   * handler runs (Fastify, Hono), else undefined.
   */
  readonly route: string | undefined;
  /**
   * The client's address: the socket's peer, or with `trustProxy` the right-most untrusted hop of
   * the forwarding header. `''` when the socket is already gone.
   */
  readonly ip: string;
  /**
   * The client address as a rate-limit key (the guard's default key): an IPv4 address (also one
   * written IPv4-mapped, `::ffff:1.2.3.4`) as dotted IPv4, an IPv6 address as its network of
   * `ipv6Subnet` bits, e.g. `2001:db8:1:2::/64`.
   */
  readonly clientKey: string;
  /** The connection's peer (the nearest proxy, when there is one). */
  readonly remoteAddress: string | undefined;
  /** The framework's own request object (`IncomingMessage`, Koa `Context`, Fastify request, `Request`). */
  readonly raw: unknown;
  /**
   * A header's value (several values joined with `, `), or undefined.
   * @param name - the header name, lower case
   */
  header(name: string): string | undefined;
}

/**
 * What the {@link GuardRequest} views share: the client address, found when first read. The
 * method, path and headers are the subclass's. @internal
 */
abstract class ClientRequestView implements GuardRequest {
  abstract readonly method: string;
  abstract readonly path: string;
  readonly route: string | undefined;
  readonly remoteAddress: string | undefined;
  readonly raw: unknown;
  readonly #client: ClientAddress;
  #ip: string | undefined;
  #clientKey: string | undefined;

  constructor(client: ClientAddress, remoteAddress: string | undefined, raw: unknown, route: string | undefined) {
    this.#client = client;
    this.remoteAddress = remoteAddress;
    this.raw = raw;
    this.route = route;
  }

  /** The request headers. */
  protected abstract headers(): RequestHeaders;

  get ip(): string {
    if (this.#ip === undefined) {
      const client = this.#client;
      this.#ip = client.trusting ? client.resolve(this.remoteAddress, this.header(client.header)) : (this.remoteAddress ?? '');
    }
    return this.#ip;
  }

  get clientKey(): string {
    if (this.#clientKey === undefined) this.#clientKey = this.#client.key(this.ip);
    return this.#clientKey;
  }

  header(name: string): string | undefined {
    const headers = this.headers();
    if (typeof headers.get === 'function') return (headers as { get(name: string): string | null }).get(name) ?? undefined;
    const value = (headers as Readonly<Record<string, string | readonly string[] | undefined>>)[name];
    return typeof value === 'string' || value === undefined ? value : value.join(', ');
  }
}

/** The {@link GuardRequest} of the values an adapter read from its framework's request. @internal */
export class RequestView extends ClientRequestView {
  readonly method: string;
  readonly path: string;
  readonly #headers: RequestHeaders;

  /**
   * @param client - how the guard finds client addresses
   * @param method - the request method
   * @param url - the path, with or without a query string
   * @param headers - the request headers
   * @param remoteAddress - the connection's peer
   * @param raw - the framework's request
   * @param route - the matched route pattern, if known
   */
  constructor(
    client: ClientAddress,
    method: string,
    url: string,
    headers: RequestHeaders,
    remoteAddress: string | undefined,
    raw: unknown,
    route: string | undefined,
  ) {
    super(client, remoteAddress, raw, route);
    this.method = method;
    this.path = pathOf(url);
    this.#headers = headers;
  }

  protected headers(): RequestHeaders {
    return this.#headers;
  }
}

/**
 * How an adapter reads its framework's request: one object per adapter, whose functions a
 * {@link ReadOnDemandRequestView} calls when a part is first needed. @internal
 */
export interface RequestReader<Raw> {
  /** The request method. */
  method(raw: Raw): string;
  /** The path, with or without its query string. */
  url(raw: Raw): string;
  /** The request headers. */
  headers(raw: Raw): RequestHeaders;
}

/**
 * The {@link GuardRequest} of a framework's request that is costly to read (Express swaps the
 * prototype of every request, so that each property read misses V8's inline caches): the method,
 * path and headers are read when first needed, which with the default options is never. The
 * peer's address is read at once: a socket forgets it once closed. @internal
 */
export class ReadOnDemandRequestView<Raw> extends ClientRequestView {
  readonly #reader: RequestReader<Raw>;
  #method: string | undefined;
  #path: string | undefined;
  #headers: RequestHeaders | undefined;

  /**
   * @param client - how the guard finds client addresses
   * @param source - the framework's request
   * @param reader - how to read it
   * @param remoteAddress - the connection's peer
   */
  constructor(client: ClientAddress, source: Raw, reader: RequestReader<Raw>, remoteAddress: string | undefined) {
    super(client, remoteAddress, source, undefined);
    this.#reader = reader;
  }

  get method(): string {
    return (this.#method ??= this.#reader.method(this.raw as Raw));
  }

  get path(): string {
    return (this.#path ??= pathOf(this.#reader.url(this.raw as Raw)));
  }

  protected headers(): RequestHeaders {
    return (this.#headers ??= this.#reader.headers(this.raw as Raw));
  }
}

/** `url` without its query string. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
