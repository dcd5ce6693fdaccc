/**
 * The requests the benchmark sends. Every target gets the same bytes; a new kind of traffic
 * (Responses streams, images, another protocol) is one more entry in `WORKLOADS`.
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
}

/**
 * The simulator wants a bearer key. The pass-through forwards this one as it is; Tollgate,
 * running without client keys, replaces it with the account's.
 */
const CLIENT_HEADERS = {
  'content-type': 'application/json',
  authorization: 'Bearer sk-bench',
};

const HI = [{ role: 'user', content: 'hi' }];

/** The last bytes of a Chat Completions stream that finished normally. */
const CHAT_STREAM_DONE = /data: \[DONE\]\s*$/;

export const WORKLOADS: readonly Workload[] = [
  chat('chat JSON', {}, {}, /"object":"chat\.completion"/),
  chat('chat SSE ×20', { stream: true }, { 'x-sim-events': '20' }, CHAT_STREAM_DONE),
];

function chat(
  name: string,
  fields: Record<string, unknown>,
  headers: Record<string, string>,
  expect: RegExp,
): Workload {
  const body = JSON.stringify({ model: 'gpt-5.4-mini', messages: HI, ...fields });
  return {
    name,
    method: 'POST',
    path: '/v1/chat/completions',
    headers: { ...CLIENT_HEADERS, ...headers },
    body,
    expect,
  };
}
