import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request as the protocol routes need it, whether Koa or `DirectRoutes` dispatched it. */
export interface Inbound {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** The path as sent, without the query string; not decoded. */
  path: string;
  /** The query string as sent, without `?`; empty when there is none. */
  querystring: string;
  /** The route's path parameters, decoded. */
  params: Record<string, string>;
}

export type InboundHandler = (inbound: Inbound) => Promise<void>;

/** A route whose path ends in one parameter that spans the last segment. */
interface SegmentRoute {
  method: string;
  /** The path up to the parameter, ending in `/`. */
  prefix: string;
  param: string;
  handler: InboundHandler;
}

/**
 * The protocol routes every exchange comes through, dispatched straight from node:http: a map
 * lookup on the method and the exact path, ahead of Koa. Koa's context, its response tracking
 * and the router's middleware chain cost more per request than a small JSON exchange costs
 * Tollgate otherwise, and these routes use none of it (they answer on the socket themselves).
 * Any other request, including these paths in the absolute form (`POST http://host/v1/...`),
 * goes on to Koa, whose router serves the same handlers.
 */
export class DirectRoutes {
  private readonly exact = new Map<string, InboundHandler>();
  private readonly segments: SegmentRoute[] = [];

  /**
   * Takes a route written as for Koa's router when its pattern is one of the two kinds served
   * here: a fixed path, matched byte for byte, or a fixed prefix and a last `:param` segment.
   * Returns false for any other pattern (wildcards, other methods), which stays Koa's alone.
   */
  add(method: string, pattern: string, handler: InboundHandler): boolean {
    if (method !== 'GET' && method !== 'POST') return false;
    const segment = /^([^:{*]*\/):(\w+)$/.exec(pattern);
    if (segment) {
      this.segments.push({ method, prefix: segment[1], param: segment[2], handler });
      return true;
    }
    if (/[:{*]/.test(pattern)) return false;
    this.exact.set(`${method} ${pattern}`, handler);
    return true;
  }

  /**
   * Starts handling the request when it is on one of these routes; false leaves it to Koa.
   * `onError` gets what a handler throws, which they catch themselves short of a bug.
   */
  dispatch(req: IncomingMessage, res: ServerResponse, onError: (err: unknown) => void): boolean {
    const url = req.url ?? '';
    // Origin-form only ("/path?query"); anything else Koa's URL parsing handles.
    if (url.charCodeAt(0) !== 0x2f) return false;
    const mark = url.indexOf('?');
    const path = mark < 0 ? url : url.slice(0, mark);
    const querystring = mark < 0 ? '' : url.slice(mark + 1);
    const method = req.method ?? '';

    let handler = this.exact.get(`${method} ${path}`);
    let params: Record<string, string> = {};
    if (!handler) {
      const match = this.matchSegment(method, path);
      if (!match) return false;
      ({ handler, params } = match);
    }
    handler({ req, res, method, path, querystring, params }).catch(onError);
    return true;
  }

  private matchSegment(method: string, path: string) {
    for (const route of this.segments) {
      if (route.method !== method || !path.startsWith(route.prefix)) continue;
      const segment = path.slice(route.prefix.length);
      if (segment === '' || segment.includes('/')) continue;
      let value: string;
      try {
        value = decodeURIComponent(segment);
      } catch {
        // Koa's router keeps such a segment undecoded; let it.
        return undefined;
      }
      return { handler: route.handler, params: { [route.param]: value } };
    }
    return undefined;
  }
}
