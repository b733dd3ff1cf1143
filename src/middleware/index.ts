/**
 * `bulwark/middleware`: one framework-agnostic guard that turns bulwark policies into HTTP
 * behaviour (429 and 503 with `Retry-After`, RateLimit header fields, problem details), and the
 * key helpers. The adapters are separate entries, each loading no framework:
 * `bulwark/middleware/node` (node:http, Express, Connect), `/koa`, `/fastify`, `/fetch` (Fetch API
 * handlers and Hono).
 *
 * Guide: [middleware.md](../../docs/middleware.md).
 * @module bulwark/middleware
 */
export { createGuard, Guard, type GuardExchange } from './guard';
export { GUARD_DEFAULTS, type GuardOptions } from './options';
export type { FetchHeaders, GuardRequest, RequestHeaders } from './request';
export { ResponseEnd } from './response-end';
export { keyByHeader, keyByRoute, hashKey, MAX_RAW_KEY_LENGTH, type KeyFunction, type KeyByHeaderOptions } from './keys';
export type { TrustProxy, ProxyHeader } from './client-ip';
export type { RateLimitHeaderStyle } from './rate-limit-headers';
export { PROBLEM_CONTENT_TYPE, type GuardReply, type ProblemDetails } from './reply';
export { FailureResponseError } from './failure-response-error';
export { toExpressRateLimitStore, type ExpressRateLimitHits, type ExpressRateLimitStore } from './express-rate-limit-store';
export { healthHandler, type HealthHandlerOptions, type HealthResponseBody } from './health-handler';
export { metricsHandler, PROMETHEUS_TEXT_CONTENT_TYPE, type MetricsSource } from './metrics-handler';
export type { EndpointReply } from './endpoint-reply';
