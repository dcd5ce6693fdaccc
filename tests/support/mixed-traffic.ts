import type { Fault, Simulator } from '../../simulator/index.js';

/**
 * Mixed traffic for load tests: every protocol, streaming and not, simulator scenarios that end
 * badly (incomplete, premature close, reset), upstream faults armed along the way, and clients
 * that abort.
 *
 * Some exchanges have no exact reference in the simulator's tally of the usage it sent (it
 * counts terminal events only): an aborted client's usage may or may not have got through, and
 * an Anthropic or Gemini stream cut short still carries the usage of `message_start` or of its
 * running `usageMetadata`, which the gateway meters. Those ask for a model with `partial` in its
 * name,
 * which `mixedUpstreams` routes to a simulator and accounts of their own, so that their tokens
 * are compared among gateway views only and never mixed with those that must match exactly.
 */

/** How one exchange is sent. */
interface Kind {
  name: string;
  weight: number;
  send(url: string, rand: Random, signal?: AbortSignal): Promise<Response>;
  /** Goes to the `*partial*` models' upstreams (see above). */
  partial?: boolean;
  /** Set for kinds that abort: when the client hangs up. */
  abort?: 'at-headers' | 'after-first-chunk' | 'timer';
}

export interface TrafficReport {
  exchanges: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  aborted: number;
  /** Exchanges sent to the `*partial*` models' upstreams, aborted or not. */
  partial: number;
  faultsArmed: number;
}

export type Random = () => number;

/** A small seeded generator, so that a failing run can be replayed. */
export function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const pick = <T>(rand: Random, items: readonly T[]): T => items[Math.floor(rand() * items.length)];

const RESPONSES_SCENARIOS = [
  'text',
  'text',
  'reasoning',
  'tool_call',
  'incomplete',
  'premature_close',
  'reset',
] as const;
const CHAT_SCENARIOS = ['text', 'reasoning', 'incomplete', 'premature_close', 'reset'] as const;
const MESSAGES_SCENARIOS = ['text', 'reasoning', 'tool_call', 'incomplete'] as const;
const GEMINI_SCENARIOS = ['text', 'reasoning'] as const;
const CUT_SCENARIOS = ['premature_close', 'reset'] as const;

function post(url: string, body: unknown, headers: Record<string, string>, signal?: AbortSignal) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  });
}

const responses =
  (model: string, stream: boolean) => (url: string, rand: Random, s?: AbortSignal) =>
    post(
      `${url}/v1/responses`,
      { model, input: 'hi', stream },
      { 'x-sim-scenario': pick(rand, RESPONSES_SCENARIOS), 'x-sim-delay-ms': s ? '3' : '0' },
      s,
    );

const chat = (model: string, stream: boolean) => (url: string, rand: Random, s?: AbortSignal) =>
  post(
    `${url}/v1/chat/completions`,
    {
      model,
      messages: [{ role: 'user', content: 'hi' }],
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
    },
    { 'x-sim-scenario': pick(rand, CHAT_SCENARIOS), 'x-sim-delay-ms': s ? '3' : '0' },
    s,
  );

const messages =
  (model: string, stream: boolean, scenarios: readonly string[] = MESSAGES_SCENARIOS) =>
  (url: string, rand: Random, s?: AbortSignal) =>
    post(
      `${url}/v1/messages`,
      { model, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], stream },
      {
        'anthropic-version': '2023-06-01',
        'x-sim-scenario': pick(rand, scenarios),
        'x-sim-delay-ms': s ? '3' : '0',
      },
      s,
    );

const gemini =
  (model: string, stream: boolean, scenarios: readonly string[] = GEMINI_SCENARIOS) =>
  (url: string, rand: Random, s?: AbortSignal) =>
    post(
      `${url}/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
      { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] },
      { 'x-sim-scenario': pick(rand, scenarios), 'x-sim-delay-ms': s ? '3' : '0' },
      s,
    );

const KINDS: Kind[] = [
  { name: 'responses-stream', weight: 6, send: responses('gpt-5.5', true) },
  { name: 'responses-json', weight: 3, send: responses('gpt-5.5', false) },
  { name: 'chat-stream', weight: 4, send: chat('gpt-5.5', true) },
  { name: 'chat-json', weight: 2, send: chat('gpt-5.5', false) },
  {
    name: 'embeddings',
    weight: 2,
    send: (url) =>
      post(`${url}/v1/embeddings`, { model: 'text-embedding-3-small', input: 'hi' }, {}),
  },
  {
    name: 'images',
    weight: 1,
    send: (url) =>
      post(
        `${url}/v1/images/generations`,
        { model: 'gpt-image-1', prompt: 'a lighthouse' },
        { 'x-sim-image-bytes': '4096' },
      ),
  },
  { name: 'messages-stream', weight: 4, send: messages('claude-sonnet-4-5', true) },
  { name: 'messages-json', weight: 2, send: messages('claude-sonnet-4-5', false) },
  { name: 'gemini-stream', weight: 3, send: gemini('gemini-2.5-flash', true) },
  { name: 'gemini-json', weight: 2, send: gemini('gemini-2.5-flash', false) },
  {
    name: 'abort-responses',
    weight: 2,
    send: responses('partial-gpt', true),
    partial: true,
    abort: 'after-first-chunk',
  },
  { name: 'abort-chat', weight: 1, send: chat('partial-gpt', true), partial: true, abort: 'timer' },
  {
    name: 'abort-messages',
    weight: 1,
    send: messages('partial-claude', true),
    partial: true,
    abort: 'after-first-chunk',
  },
  {
    name: 'abort-gemini',
    weight: 1,
    send: gemini('gemini-2.5-flash-partial', true),
    partial: true,
    abort: 'timer',
  },
  {
    name: 'abort-early',
    weight: 1,
    send: responses('partial-gpt', true),
    partial: true,
    abort: 'at-headers',
  },
  {
    name: 'cut-messages',
    weight: 1,
    partial: true,
    send: messages('partial-claude', true, CUT_SCENARIOS),
  },
  {
    name: 'cut-gemini',
    weight: 1,
    partial: true,
    send: gemini('gemini-2.5-flash-partial', true, CUT_SCENARIOS),
  },
];

const FAULTS: Fault[] = [
  { status: 500 },
  { status: 503 },
  { status: 529 },
  { status: 429, headers: { 'retry-after': '0' } },
  { kind: 'destroy' },
];

/**
 * Sends `count` exchanges, `concurrency` at a time, and reads every answer to its end (or
 * aborts it). Every `faultEvery`-th exchange first arms one upstream fault on `sim`, for
 * whichever request reaches it next; none are armed in the last fifth, so all are used.
 */
export async function sendMixedTraffic(options: {
  url: string;
  sim: Simulator;
  count: number;
  concurrency: number;
  rand: Random;
  faultEvery?: number;
}): Promise<TrafficReport> {
  const { url, sim, count, concurrency, rand } = options;
  const faultEvery = options.faultEvery ?? 8;
  const report: TrafficReport = {
    exchanges: 0,
    byKind: {},
    byStatus: {},
    aborted: 0,
    partial: 0,
    faultsArmed: 0,
  };
  const total = KINDS.reduce((sum, k) => sum + k.weight, 0);
  const choose = () => {
    let r = rand() * total;
    for (const kind of KINDS) if ((r -= kind.weight) < 0) return kind;
    return KINDS[0];
  };

  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      if (n % faultEvery === faultEvery - 1 && n < count * 0.8) {
        sim.failNext(pick(rand, FAULTS));
        report.faultsArmed += 1;
      }
      const kind = choose();
      report.byKind[kind.name] = (report.byKind[kind.name] ?? 0) + 1;
      const status = await runOne(url, kind, rand);
      report.exchanges += 1;
      if (kind.partial) report.partial += 1;
      if (status === 'aborted') report.aborted += 1;
      report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return report;
}

/** Far longer than any exchange of the mix takes on a loaded machine: one still going after
 * this is hanging, and the run fails saying which kind it was instead of running out of time. */
const EXCHANGE_LIMIT_MS = 60_000;

/** One exchange to its end; the status, or `aborted` when the client hung up first. */
async function runOne(url: string, kind: Kind, rand: Random): Promise<string> {
  const limit = AbortSignal.timeout(EXCHANGE_LIMIT_MS);
  // Both paths swallow some errors on purpose (a cut body, the client's own abort), so the
  // limit is checked here whichever way the exchange ended.
  try {
    const status = await (kind.abort
      ? abortOne(url, kind, rand, limit)
      : completeOne(url, kind, rand, limit));
    if (!limit.aborted) return status;
  } catch (err) {
    if (!limit.aborted) throw err;
  }
  throw new Error(`a ${kind.name} exchange had not ended after ${EXCHANGE_LIMIT_MS / 1000} s`);
}

async function completeOne(url: string, kind: Kind, rand: Random, limit: AbortSignal) {
  const res = await kind.send(url, rand, limit);
  await drainBody(res);
  return String(res.status);
}

async function abortOne(url: string, kind: Kind, rand: Random, limit: AbortSignal) {
  const controller = new AbortController();
  if (kind.abort === 'timer') setTimeout(() => controller.abort(), 1 + rand() * 25);
  try {
    const res = await kind.send(url, rand, AbortSignal.any([controller.signal, limit]));
    const reader = res.body!.getReader();
    if (kind.abort === 'after-first-chunk') await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
  } catch {
    // The abort surfaces here as an AbortError, at whichever step it struck (the time limit's
    // too, which the caller reports as a hang).
  }
  controller.abort();
  return 'aborted';
}

/** Reads a body to its end; a stream the upstream cut ends in an error, which is the point. */
async function drainBody(res: Response): Promise<void> {
  try {
    await res.arrayBuffer();
  } catch {
    // premature_close and reset scenarios end the body with an error.
  }
}
