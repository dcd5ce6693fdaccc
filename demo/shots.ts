import type { Fault, Scenario } from '../simulator/index.js';

/**
 * One request of the demo traffic: which client sends it, to which API, and what the simulated
 * upstream is asked to answer. Tests drive a fixed list of shots; the demo draws them at random.
 */
export interface Shot {
  /** The client key sent to Tollgate (a wrong one is refused as unauthenticated). */
  clientKey: string;
  api: 'responses' | 'chat' | 'messages';
  scenario: Scenario;
  model: string;
  stream: boolean;
  /** Declares the image generation tool: the exchange becomes an image request. */
  image?: boolean;
  /** Armed on the upstream just before the shot, e.g. a 429 that cools an account down. */
  fault?: Fault;
  /** Pause between two events of the simulated stream, for realistic latencies. */
  eventDelayMs?: number;
}

/** Arms a fault on the simulated upstream: in process, or over HTTP in the compose stack. */
export interface FaultSwitch {
  failNext(fault: Fault): void | Promise<void>;
}

/** Sends one shot through Tollgate and reads the whole answer; resolves with the status. */
export async function fire(gatewayUrl: string, shot: Shot, faults?: FaultSwitch): Promise<number> {
  if (shot.fault) await faults?.failNext(shot.fault);
  const res = await fetch(`${gatewayUrl}${PATHS[shot.api]}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${shot.clientKey}`,
      ...(shot.api === 'messages' ? { 'anthropic-version': '2023-06-01' } : {}),
      'x-sim-scenario': shot.scenario,
      ...(shot.eventDelayMs ? { 'x-sim-delay-ms': String(shot.eventDelayMs) } : {}),
    },
    body: JSON.stringify(body(shot)),
  });
  // A stream cut short by the upstream ends the body with an error: that is the scenario.
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

const PATHS: Record<Shot['api'], string> = {
  responses: '/v1/responses',
  chat: '/v1/chat/completions',
  messages: '/v1/messages',
};

function body(shot: Shot): Record<string, unknown> {
  if (shot.api === 'messages') {
    return {
      model: shot.model,
      stream: shot.stream,
      max_tokens: 1024,
      messages: [{ role: 'user', content: 'Summarise the release notes.' }],
    };
  }
  if (shot.api === 'chat') {
    return {
      model: shot.model,
      stream: shot.stream,
      messages: [{ role: 'user', content: 'Summarise the release notes.' }],
    };
  }
  return {
    model: shot.model,
    stream: shot.stream,
    input: shot.image ? 'Draw a lighthouse at dusk.' : 'Summarise the release notes.',
    ...(shot.image ? { tools: [{ type: 'image_generation' }] } : {}),
  };
}
