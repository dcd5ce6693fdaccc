import { createHash, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';

/**
 * Who may scrape `/metrics`. Without `metrics.token` anyone who reaches the port may; with it,
 * only `Authorization: Bearer <token>` (Prometheus' `authorization` / `bearer_token` setting),
 * compared in constant time. A refusal says what is missing and never echoes what was sent.
 */
export function metricsAccess(token: string | undefined): Middleware {
  const expected = token === undefined ? undefined : digest(token);
  return async (ctx, next) => {
    if (expected !== undefined) {
      const presented = /^Bearer\s+(.+)$/i.exec(ctx.get('authorization').trim())?.[1];
      if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
        ctx.status = 401;
        ctx.set('www-authenticate', 'Bearer realm="tollgate-metrics"');
        ctx.body = { error: 'The metrics endpoint needs Authorization: Bearer <metrics token>.' };
        return;
      }
    }
    await next();
  };
}

/** Equal-length digests let `timingSafeEqual` compare any two strings without leaking length. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
