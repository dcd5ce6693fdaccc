import { LabelValue } from './telemetry/vocabulary.js';

/** What a route is, for the protocol code (how to read it) and for telemetry (its label). */
export interface RouteSpec {
  method: 'GET' | 'POST' | 'ALL';
  /** The route template: the `route` label, never the raw path. */
  template: string;
  protocol: 'openai';
  kind: 'responses' | 'chat' | 'unmetered';
  /** `gen_ai.operation.name` of the exchanges on this route. */
  operation: string;
}

/** The OpenAI-protocol routes Tollgate meters or knows by name. */
export const OPENAI_ROUTES: readonly RouteSpec[] = [
  {
    method: 'POST',
    template: '/v1/responses',
    protocol: 'openai',
    kind: 'responses',
    operation: 'chat',
  },
  {
    method: 'POST',
    template: '/v1/responses/compact',
    protocol: 'openai',
    kind: 'responses',
    operation: 'chat',
  },
  {
    method: 'POST',
    template: '/v1/chat/completions',
    protocol: 'openai',
    kind: 'chat',
    operation: 'chat',
  },
  {
    method: 'GET',
    template: '/v1/models',
    protocol: 'openai',
    kind: 'unmetered',
    operation: 'models',
  },
];

/** Every other `/v1/*` path: forwarded to the OpenAI upstream and counted, not metered. */
export const PASS_THROUGH_ROUTE: RouteSpec = {
  method: 'ALL',
  template: LabelValue.passThroughRoute,
  protocol: 'openai',
  kind: 'unmetered',
  operation: 'pass_through',
};

/** The version prefix each protocol's routes carry; the rest of the path goes after base_url. */
export const VERSION_PREFIX = { openai: '/v1' } as const;
