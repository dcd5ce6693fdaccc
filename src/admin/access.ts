import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';

/**
 * Who may use the admin routes. With an admin token, only `Authorization: Bearer <token>` opens
 * them, compared in constant time; client keys are a different secret and never do. Without a
 * token they answer loopback peers whatever Authorization header they send (tools written for
 * codex-proxy send their old proxy key), and nobody else. Loopback is the socket's peer address:
 * behind a proxy on the same host every client looks local, so set a token there.
 */
export function adminAccess(token: string | undefined): Middleware {
  const expected = token === undefined ? undefined : digest(token);
  return async (ctx, next) => {
    const denial =
      expected === undefined
        ? loopbackDenial(ctx.req.socket.remoteAddress)
        : tokenDenial(ctx.get('authorization'), expected);
    if (denial) {
      ctx.status = 401;
      if (expected) ctx.set('www-authenticate', 'Bearer realm="tollgate-admin"');
      ctx.body = { error: denial };
      return;
    }
    await next();
  };
}

function tokenDenial(authorization: string, expected: Buffer): string | undefined {
  const presented = /^Bearer\s+(.+)$/i.exec(authorization.trim())?.[1];
  if (presented === undefined) return 'Admin routes need Authorization: Bearer <admin token>.';
  return timingSafeEqual(digest(presented), expected) ? undefined : 'Invalid admin token.';
}

function loopbackDenial(address: string | undefined): string | undefined {
  if (address && isLoopback(address)) return undefined;
  return 'Admin routes answer loopback clients only unless admin.token is configured.';
}

export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(v4);
}

/** Equal-length digests let `timingSafeEqual` compare any two strings without leaking length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
