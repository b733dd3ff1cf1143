/**
 * What a rate limit counts by: the client address (default), a header such as an API key, or a
 * route together with either.
 * @module
 */
import { createHash } from 'node:crypto';
import type { GuardRequest } from './request';

/** A function from a request to its rate-limit key. */
export type KeyFunction = (request: GuardRequest) => string;

/**
 * Keys longer than this are hashed by the guard before they reach a store, whatever made them: a
 * client that controls part of a key (a header, a path) must not choose the size of a Redis key.
 */
export const MAX_RAW_KEY_LENGTH = 128;

/** `sha256:` and the base64url SHA-256 of `text`: 50 characters whatever its length. */
export function hashKey(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('base64url')}`;
}

/** `key` itself when short, else its hash (see {@link MAX_RAW_KEY_LENGTH}). */
export function boundedKey(key: string): string {
  return key.length <= MAX_RAW_KEY_LENGTH ? key : hashKey(key);
}

/** Options of {@link keyByHeader}. */
export interface KeyByHeaderOptions {
  /** The key of a request without the header. @defaultValue `request.clientKey` */
  fallback?: KeyFunction;
}

/**
 * Keys requests by a header, e.g. an API key: the value is hashed (SHA-256) before it reaches a
 * store, so that no secret and no client-chosen text of any size becomes a Redis key. Requests
 * without the header are keyed by `fallback`.
 * @param name - the header name (any case)
 * @example
 * ```ts
 * const guard = createGuard({ rateLimiter, key: keyByHeader('x-api-key') });
 * ```
 */
export function keyByHeader(name: string, options: KeyByHeaderOptions = {}): KeyFunction {
  const header = name.toLowerCase();
  const fallback = options.fallback;
  return (request) => {
    const value = request.header(header);
    if (value === undefined || value === '') return fallback === undefined ? request.clientKey : fallback(request);
    return `${header}:${hashKey(value)}`;
  };
}

/**
 * Keys requests by route and client: `GET /users/:id|203.0.113.7`, so that each route has its own
 * limit per client. The route is the matched pattern where the framework knows it (Fastify, Hono),
 * else the path (a long one is hashed with the rest of the key).
 * @param by - the client part of the key @defaultValue `request.clientKey`
 */
export function keyByRoute(by?: KeyFunction): KeyFunction {
  return (request) => `${request.method} ${request.route ?? request.path}|${by === undefined ? request.clientKey : by(request)}`;
}
