/**
 * The "global limiter" warning: behind a proxy that the guard does not trust, every client has the
 * proxy's address, so one rate limit is shared by all of them. When a request with a forwarding
 * header arrives from a private or loopback peer and `trustProxy` is not set, the guard says so
 * once (a log line, or a process warning `BULWARK_PROXY_NOT_TRUSTED` when no logger is set).
 *
 * Only one request in {@link PROXY_CHECK_INTERVAL} is checked (the first, then every 16th): behind
 * such a proxy all requests, or a steady share of them, come through it, so a sample finds it
 * within the first few, and the others skip reading the request's headers, which under Express
 * costs an inline-cache miss per request (Express swaps the prototype of every request).
 * @module
 * @internal
 */
import { logOrWarn } from '../core/logger';
import { isPrivateAddress } from './client-ip';
import type { GuardRequest } from './request';

/** One request in this many is checked for an untrusted proxy. */
export const PROXY_CHECK_INTERVAL = 16;

/** Samples requests until it has warned once. */
export class UntrustedProxyWarning {
  #warned = false;
  /** Requests to let pass before the next check. */
  #skip = 0;

  /** Checks `request` if it is one of the sample, until the warning has been given. */
  sample(request: GuardRequest): void {
    if (this.#warned) return;
    if (this.#skip > 0) {
      this.#skip--;
      return;
    }
    this.#skip = PROXY_CHECK_INTERVAL - 1;
    this.#check(request);
  }

  /** Warns if `request` came through a proxy the guard does not trust. */
  #check(request: GuardRequest): void {
    if (request.header('x-forwarded-for') === undefined && request.header('forwarded') === undefined) return;
    const peer = request.remoteAddress;
    if (peer === undefined || !isPrivateAddress(peer)) return;
    this.#warned = true;
    const message =
      `bulwark: a request from ${peer} carries a forwarding header but trustProxy is not set: ` +
      'every client behind that proxy shares one rate limit. Set trustProxy (see docs/middleware.md).';
    logOrWarn({ level: 'warn', fields: { remoteAddress: peer }, message, code: 'BULWARK_PROXY_NOT_TRUSTED' });
  }
}
