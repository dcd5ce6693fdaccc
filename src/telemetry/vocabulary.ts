/**
 * Every telemetry name Tollgate emits: metric instruments, attribute keys and the closed sets
 * of label values. Record sites import from here and never spell a name themselves, so a
 * rename is one edit here and a failing test, never a silently broken dashboard.
 */

/** OTel instrument names. The Prometheus exporter turns dots into underscores and adds `_total`
 * to counters, but adds no unit word: names that must end in `_seconds` say so themselves. */
export const Instrument = {
  requests: 'tollgate.requests',
  tokens: 'tollgate.tokens',
  imageRequests: 'tollgate.image.requests',
  costUsd: 'tollgate.cost.usd',
  requestDuration: 'tollgate.request.duration.seconds',
  timeToFirstToken: 'tollgate.time_to_first_token.seconds',
  upstreamAttempts: 'tollgate.upstream.attempts',
  requestsActive: 'tollgate.requests.active',
  accountAvailable: 'tollgate.account.available',
  ratelimitRemaining: 'tollgate.account.ratelimit.remaining',
  ratelimitLimit: 'tollgate.account.ratelimit.limit',
  ratelimitReset: 'tollgate.account.ratelimit.reset.seconds',
  quotaUsed: 'tollgate.account.quota.used.ratio',
  quotaReset: 'tollgate.account.quota.reset.seconds',
  genAiTokenUsage: 'gen_ai.client.token.usage',
  genAiOperationDuration: 'gen_ai.client.operation.duration',
  storeFlushFailures: 'tollgate.store.flush.failures',
  configReloads: 'tollgate.config.reloads',
  processMemoryUsage: 'process.memory.usage',
  processCpuTime: 'process.cpu.time',
} as const;

/** Attribute (label) keys of Tollgate's own instruments. */
export const Attr = {
  route: 'route',
  model: 'model',
  account: 'account',
  client: 'client',
  outcome: 'outcome',
  statusCode: 'status_code',
  tokenKind: 'token_kind',
  imageOutcome: 'image_outcome',
  reason: 'reason',
  resource: 'resource',
  window: 'window',
  result: 'result',
  cpuMode: 'cpu.mode',
} as const;

/** Attribute keys from the OpenTelemetry GenAI semantic conventions. Copied here on purpose:
 * the upstream package keeps them in an unstable entry point that may change in a minor. */
export const GenAiAttr = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  tokenType: 'gen_ai.token.type',
  errorType: 'error.type',
} as const;

/** The token kinds of one exchange. They overlap on purpose: cache and cache_write are subsets of
 * host_in, reasoning a subset of host_out; never sum across all of them. */
export const TOKEN_KINDS = [
  'host_in',
  'host_out',
  'cache',
  'cache_write',
  'reasoning',
  'image_in',
  'image_out',
] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** How an exchange ended: each exchange ends in exactly one of these. */
export const OUTCOMES = [
  'success',
  'incomplete',
  'upstream_error',
  'unreachable',
  'client_aborted',
  'rejected',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type ImageOutcome = 'success' | 'failed';

/** Why an image request ended as it did; `completed` is the reason of every success. */
export const IMAGE_REASONS = [
  'completed',
  'no_image_tokens',
  'incomplete',
  'upstream_error',
  'unreachable',
  'client_aborted',
  'rejected',
  'compact_route',
] as const;
export type ImageReason = (typeof IMAGE_REASONS)[number];

/** What an upstream's rate limits count (`resource`), and the Codex backend's quota windows. */
export const RATELIMIT_RESOURCES = ['requests', 'tokens', 'input_tokens', 'output_tokens'] as const;
export type RatelimitResource = (typeof RATELIMIT_RESOURCES)[number];
export const QUOTA_WINDOWS = ['primary', 'secondary'] as const;
export type QuotaWindow = (typeof QUOTA_WINDOWS)[number];

/** Edge values of bounded labels. */
export const LabelValue = {
  unknownModel: 'unknown',
  otherModel: 'other',
  noAccount: 'none',
  anonymousClient: 'anonymous',
  unauthenticatedClient: 'unauthenticated',
  passThroughRoute: '/v1/*',
  unmatchedRoute: 'unmatched',
  notImage: 'none',
  noStatus: 'error',
  clientClosed: '499',
} as const;

/** `result` of a configuration reload: applied, or refused with the old configuration kept. */
export const RELOAD_RESULTS = ['applied', 'refused'] as const;
export type ReloadResult = (typeof RELOAD_RESULTS)[number];

/** `gen_ai.token.type` values of the semantic conventions. */
export const GenAiTokenType = { input: 'input', output: 'output' } as const;

/** Histogram buckets. Durations reach 300 s because image generation can take minutes; tokens
 * grow in powers of 4 as the GenAI semantic conventions advise. */
export const Buckets = {
  durationSeconds: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 180, 300],
  timeToFirstTokenSeconds: [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 20, 30, 60,
  ],
  tokens: [
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
  ],
} as const;

/** Span attribute keys: HTTP and GenAI semantic conventions (copied here for stability, like
 * the metric attributes above) and Tollgate's own `tollgate.*` keys. */
export const SpanAttr = {
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  clientAddress: 'client.address',
  serverAddress: 'server.address',
  serverPort: 'server.port',
  errorType: 'error.type',
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestStream: 'gen_ai.request.stream',
  responseModel: 'gen_ai.response.model',
  responseId: 'gen_ai.response.id',
  timeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  cacheReadTokens: 'gen_ai.usage.cache_read.input_tokens',
  cacheCreationTokens: 'gen_ai.usage.cache_creation.input_tokens',
  reasoningTokens: 'gen_ai.usage.reasoning.output_tokens',
  account: 'tollgate.account',
  client: 'tollgate.client',
  outcome: 'tollgate.outcome',
  imageOutcome: 'tollgate.image.outcome',
  imageReason: 'tollgate.image.reason',
  imageInputTokens: 'tollgate.image.input_tokens',
  imageOutputTokens: 'tollgate.image.output_tokens',
  requestId: 'tollgate.request_id',
} as const;

/** Span event names: what happened to an account during an exchange. */
export const SpanEvent = {
  failover: 'tollgate.failover',
  cooldown: 'tollgate.account.cooldown',
  disabled: 'tollgate.account.disabled',
} as const;
