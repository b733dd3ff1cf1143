/**
 * Options of {@link createGuard}: schema and defaults.
 * @module
 */
import { z } from 'zod';
import type { AdaptiveConcurrencyLimiter } from '../adaptive-concurrency/adaptive-concurrency-limiter';
import type { Bulkhead } from '../bulkhead/bulkhead';
import type { CircuitBreaker } from '../circuit-breaker/circuit-breaker';
import { functionSchema, objectWithMethods } from '../core/config';
import type { RejectedError } from '../core/errors';
import type { Priority } from '../core/context';
import type { LoadShedder } from '../load-shedder/load-shedder';
import type { RateLimiter } from '../rate-limiter/rate-limiter';
import { parseTrustList, type ProxyHeader, type TrustProxy } from './client-ip';
import type { KeyFunction } from './keys';
import type { RateLimitHeaderStyle } from './rate-limit-headers';
import type { GuardReply } from './reply';
import type { GuardRequest } from './request';

/**
 * Options of a guard: the policies it applies, in the fixed order `loadShedder` → `rateLimiter` →
 * `bulkhead` → `concurrencyLimiter` → `circuitBreaker` → handler, and how requests map onto them.
 */
export interface GuardOptions {
  /** Sheds requests first, by `priority`, while the process is overloaded (503). */
  loadShedder?: LoadShedder;
  /** Limits requests per `key`, each consuming `cost` units (429). */
  rateLimiter?: RateLimiter;
  /** Caps the requests handled at once, queueing or refusing the rest (503). */
  bulkhead?: Bulkhead;
  /** Caps the requests handled at once by an adaptive limit (503). */
  concurrencyLimiter?: AdaptiveConcurrencyLimiter;
  /**
   * Refuses requests while the handler keeps failing (503). A response for which
   * `isFailureResponse` is true, and a thrown handler error, are failures; a client that
   * disconnects first counts neither way.
   */
  circuitBreaker?: CircuitBreaker;
  /** What the rate limit counts by. @defaultValue the client address (`request.clientKey`) */
  key?: KeyFunction;
  /** The load shedder's priority of a request, e.g. `critical` for health checks. @defaultValue `'normal'` */
  priority?: Priority | ((request: GuardRequest) => Priority);
  /** Rate-limit units a request consumes (an integer ≥ 1). @defaultValue 1 */
  cost?: number | ((request: GuardRequest) => number);
  /** Requests for which this returns true bypass the guard. */
  skip?: (request: GuardRequest) => boolean;
  /** Paths that bypass the guard, matched exactly (a Set lookup), e.g. `['/healthz', '/metrics']`. */
  exclude?: readonly string[];
  /**
   * Which peers are proxies whose forwarding header is believed: a hop count or a list of
   * addresses, CIDRs and the names `loopback`, `linklocal`, `uniquelocal`. Without it the client
   * address is the socket's peer, whatever the headers say. See docs/middleware.md.
   */
  trustProxy?: TrustProxy;
  /** The forwarding header `trustProxy` reads. @defaultValue `'x-forwarded-for'` */
  proxyHeader?: ProxyHeader;
  /** The prefix length IPv6 clients are keyed by (1–128; 128 keys each address). @defaultValue 64 */
  ipv6Subnet?: number;
  /** Which rate-limit header fields responses carry. @defaultValue `'draft'` */
  headers?: RateLimitHeaderStyle;
  /** Which statuses count as failures for the breaker and the concurrency limiter. @defaultValue status ≥ 500 */
  isFailureResponse?: (status: number) => boolean;
  /**
   * Makes the response of a refused request, instead of the guard's problem details; return
   * undefined to keep the default. Headers it gives override the guard's.
   */
  onRejected?: (error: RejectedError, request: GuardRequest) => GuardReply | undefined | Promise<GuardReply | undefined>;
}

/** Defaults of {@link GuardOptions}. */
export const GUARD_DEFAULTS = {
  /** The load shedder's priority. */
  priority: 'normal',
  /** Rate-limit units per request. */
  cost: 1,
  /** The forwarding header. */
  proxyHeader: 'x-forwarded-for',
  /** IPv6 clients are keyed by their /64. */
  ipv6Subnet: 64,
  /** The IETF draft fields. */
  headers: 'draft',
} as const;

/** A policy instance: duck-typed, so that instances of another loaded copy of bulwark pass too. */
const policyOf = <P>(methods: readonly string[]) =>
  objectWithMethods<P>(methods, `expected a bulwark policy instance (with ${methods.join(', ')})`);

const trustProxySchema = z.union([
  z.number().int({ message: 'must be an integer ≥ 0' }).min(0, { message: 'must be an integer ≥ 0' }),
  z.array(z.string()).readonly().superRefine((entries, ctx) => {
    for (const entry of parseTrustList(entries).invalid) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is neither an address, a CIDR range nor loopback/linklocal/uniquelocal` });
    }
  }),
]);

/** Schema of {@link GuardOptions}. */
export const guardOptionsSchema = z.strictObject({
  loadShedder: policyOf<LoadShedder>(['execute', 'stats']).optional(),
  rateLimiter: policyOf<RateLimiter>(['consume', 'execute']).optional(),
  bulkhead: policyOf<Bulkhead>(['execute', 'stats']).optional(),
  concurrencyLimiter: policyOf<AdaptiveConcurrencyLimiter>(['execute', 'acquire']).optional(),
  circuitBreaker: policyOf<CircuitBreaker>(['execute', 'isolate']).optional(),
  key: functionSchema<KeyFunction>().optional(),
  priority: z.union([z.enum(['critical', 'high', 'normal', 'low']), functionSchema<(request: GuardRequest) => Priority>()]).optional(),
  cost: z
    .union([z.number().int({ message: 'must be an integer ≥ 1' }).min(1, { message: 'must be an integer ≥ 1' }), functionSchema<(request: GuardRequest) => number>()])
    .optional(),
  skip: functionSchema<(request: GuardRequest) => boolean>().optional(),
  exclude: z.array(z.string()).readonly().optional(),
  trustProxy: trustProxySchema.optional(),
  proxyHeader: z.enum(['x-forwarded-for', 'forwarded']).optional(),
  ipv6Subnet: z.number().int({ message: 'must be an integer from 1 to 128' }).min(1, { message: 'must be an integer from 1 to 128' }).max(128, { message: 'must be an integer from 1 to 128' }).optional(),
  headers: z.union([z.enum(['draft', 'legacy', 'both']), z.literal(false)]).optional(),
  isFailureResponse: functionSchema<(status: number) => boolean>().optional(),
  onRejected: functionSchema<NonNullable<GuardOptions['onRejected']>>().optional(),
});

/** {@link GuardOptions} as the schema parsed them. @internal */
export type ResolvedGuardOptions = z.output<typeof guardOptionsSchema>;
