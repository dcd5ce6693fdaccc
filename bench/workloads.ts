/**
 * The requests the benchmark sends. Every target gets the same bytes; a new kind of traffic is
 * one more entry in `WORKLOADS`.
 */
export interface Workload {
  /** The row label in the report. */
  name: string;
  method: 'GET' | 'POST';
  /** The path on the proxy, as a client would call it. */
  path: string;
  headers: Record<string, string>;
  body: string;
  /** What a correct answer's body must match; checked on each target before measuring. */
  expect: RegExp;
  /** A stream: the report adds its time to first event. */
  stream: boolean;
  /** Which targets a group of workloads is held to; see `GOALS` in report.ts. */
  group: 'core' | 'image' | 'protocols';
}

/**
 * The simulator wants a key. The pass-through forwards this one as it is; Tollgate, running
 * without client keys, replaces it with the account's.
 */
const CLIENT_HEADERS = {
  'content-type': 'application/json',
  authorization: 'Bearer sk-bench',
};

const HI = [{ role: 'user', content: 'hi' }];

/** The last bytes of a Chat Completions stream that finished normally. */
const CHAT_STREAM_DONE = /data: \[DONE\]\s*$/;
const RESPONSES_DONE = /event: response\.completed[^]*\s$/;

const MiB = 2 ** 20;

export const WORKLOADS: readonly Workload[] = [
  openai('chat JSON', 'core', '/v1/chat/completions', { messages: HI }, {}, /"chat\.completion"/),
  // A client that asks for the usage chunk, as Tollgate would on its behalf: both proxies then
  // get the same answer from the upstream, which runs on the same two cores.
  openai(
    'chat SSE ×20',
    'core',
    '/v1/chat/completions',
    { messages: HI, stream: true, stream_options: { include_usage: true } },
    { 'x-sim-events': '20' },
    CHAT_STREAM_DONE,
  ),
  // A client that does not: Tollgate adds `stream_options.include_usage` to meter the stream, so
  // the upstream writes `"usage":null` into every chunk and one usage chunk more for Tollgate
  // than for the pass-through, and that work shares the machine with both.
  openai(
    'chat SSE ×20 (usage added)',
    'core',
    '/v1/chat/completions',
    { messages: HI, stream: true },
    { 'x-sim-events': '20' },
    CHAT_STREAM_DONE,
  ),
  openai(
    'responses SSE ×20',
    'core',
    '/v1/responses',
    { input: 'hi', stream: true },
    { 'x-sim-events': '20' },
    RESPONSES_DONE,
  ),
  image('responses image 1 MB', 1 * MiB),
  image('responses image 4 MB', 4 * MiB),
  {
    name: 'anthropic SSE ×20',
    method: 'POST',
    path: '/v1/messages',
    headers: { ...CLIENT_HEADERS, 'anthropic-version': '2023-06-01', 'x-sim-events': '20' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      messages: HI,
      stream: true,
    }),
    expect: /event: message_stop/,
    stream: true,
    group: 'protocols',
  },
  {
    name: 'gemini SSE ×20',
    method: 'POST',
    path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    headers: {
      'content-type': 'application/json',
      'x-goog-api-key': 'sk-bench',
      'x-sim-events': '20',
    },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    expect: /"finishReason"/,
    stream: true,
    group: 'protocols',
  },
];

function openai(
  name: string,
  group: Workload['group'],
  path: string,
  fields: Record<string, unknown>,
  headers: Record<string, string>,
  expect: RegExp,
): Workload {
  const model = path === '/v1/responses' ? 'gpt-5' : 'gpt-5.4-mini';
  return {
    name,
    method: 'POST',
    path,
    headers: { ...CLIENT_HEADERS, ...headers },
    body: JSON.stringify({ model, ...fields }),
    expect,
    stream: fields.stream === true,
    group,
  };
}

/** A streamed image generation whose final image is `bytes` of base64. */
function image(name: string, bytes: number): Workload {
  return openai(
    name,
    'image',
    '/v1/responses',
    { input: 'draw a lighthouse', tools: [{ type: 'image_generation' }], stream: true },
    { 'x-sim-scenario': 'image', 'x-sim-image-bytes': String(bytes) },
    RESPONSES_DONE,
  );
}

/** (f): many streams held open at once, one event every 200 ms, to weigh an open stream. */
export function slowStreams(events: number): Workload {
  return openai(
    'slow streams',
    'core',
    '/v1/chat/completions',
    { messages: HI, stream: true },
    { 'x-sim-events': String(events), 'x-sim-delay-ms': '200' },
    CHAT_STREAM_DONE,
  );
}
