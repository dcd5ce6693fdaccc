import type { IncomingHttpHeaders } from 'node:http';
import type { GatewayError } from '../errors.js';
import type { Exchange } from '../exchange.js';
import type { RouteSpec } from '../routes.js';
import type { UsageReader } from './reader.js';

/** The wire protocols Tollgate speaks, as an upstream's `protocol` names them. */
export const PROTOCOL_NAMES = ['openai', 'anthropic', 'gemini'] as const;
export type ProtocolName = (typeof PROTOCOL_NAMES)[number];

/** A request as the protocol sees it: the client's headers, the raw body, route parameters. */
export interface InboundRequest {
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Parameters of the route's path, e.g. Gemini's `target` (`{model}:{method}`). */
  params: Record<string, string>;
}

/** What the protocol decided about a request before it goes upstream. */
export interface Prepared {
  body: Buffer | undefined;
  reader: UsageReader | null;
  /** The reader may hide events; the answer is then asked for uncompressed so it can be cut. */
  hideEvents: boolean;
}

/**
 * Everything Tollgate knows about one protocol, behind one interface: the exchange handler,
 * the forwarder and the error path call these and know no protocol's details.
 */
export interface Protocol {
  readonly name: ProtocolName;
  /** `gen_ai.provider.name` of its exchanges. */
  readonly provider: string;
  /** The prefix of its routes; what follows it is appended to the upstream's `base_url`. */
  readonly versionPrefix: string;
  /** Reads the request (model, stream, image request) into the exchange and picks its reader;
   * throws a GatewayError for a request it refuses. */
  prepare(route: RouteSpec, exchange: Exchange, request: InboundRequest): Promise<Prepared>;
  /** The header(s) that carry an account's key upstream. */
  credential(apiKey: string): Record<string, string>;
  /** One of Tollgate's own errors, in the body shape this protocol's clients expect. */
  errorBody(error: GatewayError): object;
}
