import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { startGateway, type TestGateway } from './support/gateway.js';
import { send } from './support/raw-http.js';
import { KEYS, threeUpstreams } from './support/three-upstreams.js';

/**
 * The upstream a request goes to comes from the config alone: no request target, Host header,
 * forwarding header or path trick can point the gateway at another server. A second simulator
 * plays the server an attacker would like to reach; it must never hear from the gateway.
 */

let sim: Simulator;
let evil: Simulator;
let tg: TestGateway;
let evilHost: string;

beforeAll(async () => {
  [sim, evil] = await Promise.all([
    startSimulator({ compress: false }),
    startSimulator({ compress: false }),
  ]);
  evilHost = `127.0.0.1:${evil.port}`;
  tg = await startGateway(threeUpstreams(sim));
});
afterAll(async () => {
  await tg.close();
  await Promise.all([sim.close(), evil.close()]);
});
beforeEach(() => {
  sim.reset();
  evil.reset();
});

const auth = { authorization: `Bearer ${KEYS.client}` };

/** Sends `target` as the request line's target, exactly as given. */
function get(target: string, headers: Record<string, string> = {}) {
  return send(tg.url, target, { headers: { ...auth, ...headers } });
}

/** The one request the configured upstream received, and none at the other server. */
function onlyConfiguredUpstream() {
  expect(evil.requests).toEqual([]);
  expect(sim.requests).toHaveLength(1);
  const [request] = sim.requests;
  expect(request.headers.host).toBe(`127.0.0.1:${sim.port}`);
  return request;
}

describe('the upstream URL', () => {
  it('ignores the authority of an absolute-form request target', async () => {
    const answer = await get(`http://${evilHost}/v1/models`);
    expect(answer.status).toBe(200);
    expect(onlyConfiguredUpstream().path).toBe('/v1/models');
  });

  it('ignores a spoofed Host and forwarding headers', async () => {
    const answer = await get('/v1/models', {
      host: evilHost,
      'x-forwarded-host': evilHost,
      'x-forwarded-proto': 'https',
      'x-forwarded-for': '203.0.113.9',
      forwarded: `host=${evilHost};proto=http`,
      'x-original-url': `http://${evilHost}/v1/models`,
    });
    expect(answer.status).toBe(200);
    const request = onlyConfiguredUpstream();
    expect(request.path).toBe('/v1/models');
    for (const name of ['x-forwarded-host', 'x-forwarded-for', 'forwarded', 'x-forwarded-proto']) {
      expect(request.headers[name], name).toBeUndefined();
    }
  });

  it('keeps a path that starts with // under the configured base URL', async () => {
    const answer = await get(`/v1//${evilHost}/v1/models`);
    expect(answer.status).toBe(404);
    expect(onlyConfiguredUpstream().path).toBe(`/v1//${evilHost}/v1/models`);
  });

  // `EVIL` stands for the other server's host:port, known only once it listens.
  it.each([
    ['a raw ..', '/v1/../../v1/models', 400],
    ['an encoded ..', '/v1/%2e%2e/%2e%2e/models', 400],
    ['a backslash', '/v1/\\\\EVIL/models', 400],
    ['an encoded slash', '/v1/x%2F%2FEVIL/models', 404],
  ])('never leaves the base URL through %s', async (_, pattern, status) => {
    const answer = await get(pattern.replace('EVIL', evilHost));
    expect(answer.status).toBe(status);
    expect(evil.requests).toEqual([]);
    if (status === 400) {
      // Refused by the gateway, in the OpenAI shape, before any upstream call.
      expect(JSON.parse(answer.body.toString()).error.code).toEqual(expect.any(String));
      expect(sim.requests).toEqual([]);
    } else {
      // Passed on with the encoded slash still encoded, under the base path.
      expect(onlyConfiguredUpstream().path).toBe(`/v1/x%2F%2F${evilHost}/models`);
    }
  });

  it('never lets a streaming route take its host from the body or headers', async () => {
    const body = JSON.stringify({ model: `http://${evilHost}/v1`, input: 'x', stream: true });
    const answer = await send(tg.url, '/v1/responses', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', host: evilHost },
      body,
    });
    // The OpenAI upstream serves any model: the request goes to it, and only to it.
    expect(answer.status).toBe(200);
    expect(onlyConfiguredUpstream().path).toBe('/v1/responses');
  });
});
