import { describe, expect, it } from 'vitest';
import { AccountPool } from '../src/accounts/pool.js';
import { parseConfig } from '../src/config/load.js';

function pool(names: string[], probeSeconds = 600) {
  return new AccountPool(
    parseConfig({
      accounts: { disabled_probe_seconds: probeSeconds },
      upstreams: [
        {
          name: 'openai',
          protocol: 'openai',
          base_url: 'http://127.0.0.1:1/v1',
          accounts: names.map((name) => ({ name, api_key: `sk-${name}` })),
        },
      ],
    }),
  );
}

describe('account choice', () => {
  it('prefers the account with fewest attempts in flight, taking turns among equals', () => {
    const accounts = pool(['a', 'b', 'c']);
    const none = new Set<never>();
    const first = accounts.pick('openai', none)!;
    first.inFlight = 1;
    const second = accounts.pick('openai', none)!;
    expect(second).not.toBe(first);
    second.inFlight = 1;
    const third = accounts.pick('openai', none)!;
    expect([first, second]).not.toContain(third);
  });

  it('lets a single probe through once a disabled account is due, and no second one', () => {
    const accounts = pool(['a', 'b'], 0.001);
    const [a] = accounts.all();
    expect(accounts.onStatus(a, 401, {})).toBe('disabled');
    a.disabledUntil = Date.now() - 1; // the probe time has come
    expect(a.isAvailable()).toBe(true);

    a.inFlight = 1; // the probe is running
    expect(a.isAvailable()).toBe(false);
    expect(accounts.pick('openai', new Set())?.name).toBe('b');

    a.inFlight = 0;
    accounts.onStatus(a, 200, {});
    a.inFlight = 3;
    expect(a.isAvailable()).toBe(true); // a success ends probing: no limit any more
  });
});
