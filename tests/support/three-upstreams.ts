import type { Simulator } from '../../simulator/index.js';

/** Distinctive keys, so a test can search every output for them. */
export const KEYS = {
  openaiA: 'sk-proj-ACCOUNTSECRET-openai-a-7f3c9d',
  openaiB: 'sk-proj-ACCOUNTSECRET-openai-b-2e8a41',
  anthropic: 'sk-ant-api03-ACCOUNTSECRET-anthropic-5b6c',
  gemini: 'AIzaSy-ACCOUNTSECRET-gemini-0c1d2e',
  client: 'tg-CLIENTSECRET-ci-bot-91ab77',
} as const;

/** One upstream per protocol on the same simulator; OpenAI has two accounts to fail over. */
export function threeUpstreams(sim: Simulator, overrides: Record<string, unknown> = {}) {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    clients: [{ name: 'ci-bot', key: KEYS.client }],
    upstreams: [
      {
        name: 'openai',
        protocol: 'openai',
        base_url: sim.url,
        accounts: [
          { name: 'openai-a', api_key: KEYS.openaiA },
          { name: 'openai-b', api_key: KEYS.openaiB },
        ],
      },
      {
        name: 'anthropic',
        protocol: 'anthropic',
        base_url: sim.url,
        models: ['claude-*'],
        accounts: [{ name: 'anthropic-a', api_key: KEYS.anthropic }],
      },
      {
        name: 'gemini',
        protocol: 'gemini',
        base_url: sim.geminiUrl,
        models: ['gemini-*'],
        accounts: [{ name: 'gemini-a', api_key: KEYS.gemini }],
      },
    ],
    ...overrides,
  };
}

/** One streaming call in a protocol, as its official client would send it. */
export interface Call {
  name: string;
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
  /** The `route` label and log field of the exchange. */
  route: string;
}

const bearer = { authorization: `Bearer ${KEYS.client}` };

export const STREAM_CALLS: Call[] = [
  {
    name: 'OpenAI Responses',
    path: '/v1/responses',
    route: '/v1/responses',
    body: { model: 'gpt-4.1', input: 'Say hello.', stream: true },
    headers: bearer,
  },
  {
    name: 'OpenAI Chat',
    path: '/v1/chat/completions',
    route: '/v1/chat/completions',
    body: {
      model: 'gpt-4.1',
      messages: [{ role: 'user', content: 'Say hello.' }],
      stream: true,
      stream_options: { include_usage: true },
    },
    headers: bearer,
  },
  {
    name: 'Anthropic Messages',
    path: '/v1/messages',
    route: '/v1/messages',
    body: {
      model: 'claude-sonnet-4-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Say hello.' }],
      stream: true,
    },
    headers: { 'x-api-key': KEYS.client, 'anthropic-version': '2023-06-01' },
  },
  {
    name: 'Gemini SSE',
    path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
    route: '/v1beta/models/{model}:streamGenerateContent',
    body: { contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }] },
    headers: { 'x-goog-api-key': KEYS.client },
  },
  {
    name: 'Gemini JSON array',
    path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
    route: '/v1beta/models/{model}:streamGenerateContent',
    body: { contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }] },
    headers: { 'x-goog-api-key': KEYS.client },
  },
];

/** Sends a call through the gateway; `sim` headers shape the simulated answer. */
export function send(base: string, call: Call, sim: Record<string, string> = {}) {
  return fetch(`${base}${call.path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...call.headers, ...sim },
    body: JSON.stringify(call.body),
  });
}

/** The body's bytes, or the error that ended reading it. */
export async function readAll(res: Response): Promise<{ bytes: Buffer } | { error: unknown }> {
  try {
    return { bytes: Buffer.from(await res.arrayBuffer()) };
  } catch (error) {
    return { error };
  }
}
