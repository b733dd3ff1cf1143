/**
 * The "global limiter" warning: behind a proxy that the guard does not trust, every client has the
 * proxy's address, so one rate limit is shared by all of them. When a request with a forwarding
 * header arrives from a private or loopback peer and `trustProxy` is not set, the guard says so
 * once (a log line, or a process warning `BULWARK_PROXY_NOT_TRUSTED` when no logger is set).
 * @module
 * @internal
 */
import { logOrWarn } from '../core/logger';
import { isPrivateAddress } from './client-ip';
import type { GuardRequest } from './request';

/** Watches requests until it has warned once. */
export class UntrustedProxyWarning {
  #warned = false;

  /** Whether it has warned (and checks nothing more). */
  get warned(): boolean {
    return this.#warned;
  }

  /** Warns if `request` came through a proxy the guard does not trust. */
  check(request: GuardRequest): void {
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
