/**
 * The reply of the framework-agnostic endpoints (`healthHandler`, `metricsHandler`).
 * @module
 */

/**
 * What an endpoint answers: send it with any framework.
 * - node:http / Express: `res.writeHead(reply.status, reply.headers).end(reply.body)`
 * - Koa: `ctx.status = reply.status; ctx.set(reply.headers); ctx.body = reply.body`
 * - Fastify: `return res.code(reply.status).headers(reply.headers).send(reply.body)`
 * - Fetch API and Hono: `new Response(reply.body, reply)`
 */
export interface EndpointReply {
  /** The status code. */
  readonly status: number;
  /** The response headers (`content-type`, `cache-control`). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body. */
  readonly body: string;
}
