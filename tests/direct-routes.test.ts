import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { DirectRoutes, type Inbound } from '../src/http/direct-routes.js';

/**
 * The protocol routes are dispatched from node:http ahead of Koa; what they do not take must go
 * on to Koa's router untouched (dispatch answers false).
 */

function routes() {
  const seen: Inbound[] = [];
  const direct = new DirectRoutes();
  const handler = async (inbound: Inbound) => void seen.push(inbound);
  const added = {
    fixed: direct.add('POST', '/v1/responses', handler),
    segment: direct.add('POST', '/v1beta/models/:target', handler),
    wildcard: direct.add('ALL', '/v1/{*rest}', handler),
    pattern: direct.add('GET', '/v1beta/{*rest}', handler),
  };
  const dispatch = (method: string, url: string) => {
    const req = { method, url } as IncomingMessage;
    return direct.dispatch(req, {} as ServerResponse, (err) => {
      throw err;
    });
  };
  return { added, dispatch, seen };
}

describe('DirectRoutes', () => {
  it('takes fixed paths and a last :param segment, and leaves other patterns to Koa', () => {
    expect(routes().added).toEqual({ fixed: true, segment: true, wildcard: false, pattern: false });
  });

  it('matches the method and the exact path, and splits off the query string', () => {
    const { dispatch, seen } = routes();
    expect(dispatch('POST', '/v1/responses?stream=true&a=%20')).toBe(true);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      path: '/v1/responses',
      querystring: 'stream=true&a=%20',
      params: {},
    });
    expect(dispatch('GET', '/v1/responses')).toBe(false);
    expect(dispatch('POST', '/v1/responses/')).toBe(false);
    expect(dispatch('POST', '/V1/responses')).toBe(false);
    expect(dispatch('POST', 'http://host/v1/responses')).toBe(false);
  });

  it('decodes the last segment into its parameter, as the router does', () => {
    const { dispatch, seen } = routes();
    expect(dispatch('POST', '/v1beta/models/gemini%2D2.5:streamGenerateContent?alt=sse')).toBe(
      true,
    );
    expect(seen[0].params).toEqual({ target: 'gemini-2.5:streamGenerateContent' });
    expect(dispatch('POST', '/v1beta/models/')).toBe(false);
    expect(dispatch('POST', '/v1beta/models/a/b')).toBe(false);
    // Undecodable: the router keeps it as written, so it is the router's to serve.
    expect(dispatch('POST', '/v1beta/models/%E0%A4%A')).toBe(false);
  });
});
