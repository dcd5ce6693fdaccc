import type { Simulator } from '../../simulator/index.js';

/** The upstreams `sendMixedTraffic` expects, and how to tell its two sides apart in labels. */

/** Upstreams for every protocol: `*partial*` models to `partialSim`, everything else to `sim`
 * across several accounts (faults and retries need somewhere to go). */
export function mixedUpstreams(sim: Simulator, partialSim: Simulator) {
  const accounts = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      name: `${prefix}-${i + 1}`,
      api_key: `sk-soak-${prefix}-${i + 1}-0001`,
    }));
  return [
    {
      name: 'openai-partial',
      protocol: 'openai',
      base_url: partialSim.url,
      models: ['*partial*'],
      accounts: accounts('partial-openai', 1),
    },
    { name: 'openai', protocol: 'openai', base_url: sim.url, accounts: accounts('openai', 3) },
    {
      name: 'anthropic-partial',
      protocol: 'anthropic',
      base_url: partialSim.url,
      models: ['*partial*'],
      accounts: accounts('partial-anthropic', 1),
    },
    {
      name: 'anthropic',
      protocol: 'anthropic',
      base_url: sim.url,
      accounts: accounts('anthropic', 2),
    },
    {
      name: 'gemini-partial',
      protocol: 'gemini',
      base_url: partialSim.geminiUrl,
      models: ['*partial*'],
      accounts: accounts('partial-gemini', 1),
    },
    {
      name: 'gemini',
      protocol: 'gemini',
      base_url: sim.geminiUrl,
      accounts: accounts('gemini', 2),
    },
  ];
}

export const isPartialAccount = (name: string | undefined) => name?.startsWith('partial-') ?? false;
export const isPartialModel = (name: string | undefined) => name?.includes('partial') ?? false;
