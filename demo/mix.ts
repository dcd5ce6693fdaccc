import type { Shot } from './shots.js';

/**
 * The demo's realistic traffic: mostly streamed text with cache hits, some reasoning and tool
 * calls, image generation that sometimes yields no image, and the failures an operator must
 * see on the dashboards (upstream errors, cut streams, a 429 cool-down, a wrong client key).
 */

interface Weighted {
  weight: number;
  shot: Omit<Shot, 'clientKey'> & { wrongKey?: boolean };
}

const MIX: Weighted[] = [
  { weight: 30, shot: { api: 'responses', scenario: 'text', model: 'gpt-5', stream: true } },
  { weight: 8, shot: { api: 'responses', scenario: 'text', model: 'gpt-5-mini', stream: false } },
  {
    weight: 10,
    shot: { api: 'messages', scenario: 'text', model: 'claude-sonnet-4-5', stream: true },
  },
  { weight: 14, shot: { api: 'chat', scenario: 'text', model: 'gpt-4.1', stream: true } },
  { weight: 10, shot: { api: 'responses', scenario: 'reasoning', model: 'o4-mini', stream: true } },
  { weight: 8, shot: { api: 'responses', scenario: 'tool_call', model: 'gpt-5', stream: false } },
  {
    weight: 6,
    shot: { api: 'responses', scenario: 'image', model: 'gpt-5', stream: true, image: true },
  },
  {
    weight: 3,
    shot: {
      api: 'responses',
      scenario: 'image_fallback',
      model: 'gpt-5',
      stream: true,
      image: true,
    },
  },
  { weight: 3, shot: { api: 'responses', scenario: 'incomplete', model: 'gpt-5', stream: true } },
  { weight: 2, shot: { api: 'responses', scenario: 'failed', model: 'gpt-5', stream: true } },
  { weight: 2, shot: { api: 'chat', scenario: 'premature_close', model: 'gpt-4.1', stream: true } },
  {
    weight: 3,
    shot: {
      api: 'responses',
      scenario: 'text',
      model: 'gpt-5',
      stream: true,
      fault: { status: 500 },
    },
  },
  {
    weight: 1,
    shot: {
      api: 'responses',
      scenario: 'text',
      model: 'gpt-5',
      stream: true,
      fault: { status: 429, headers: { 'retry-after': '20' } },
    },
  },
  {
    weight: 2,
    shot: { api: 'responses', scenario: 'text', model: 'gpt-5', stream: true, wrongKey: true },
  },
];

const TOTAL = MIX.reduce((sum, entry) => sum + entry.weight, 0);

/** Draws one shot for one of `clientKeys`; `random` returns [0, 1) like Math.random. */
export function drawShot(clientKeys: readonly string[], random = Math.random): Shot {
  let pick = random() * TOTAL;
  const entry = MIX.find((e) => (pick -= e.weight) < 0) ?? MIX[0];
  const { wrongKey, ...shot } = entry.shot;
  const clientKey = wrongKey
    ? 'not-a-configured-key'
    : clientKeys[Math.floor(random() * clientKeys.length)];
  return { ...shot, clientKey, eventDelayMs: shot.stream ? 20 + Math.floor(random() * 60) : 0 };
}
