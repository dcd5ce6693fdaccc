/**
 * The configuration Tollgate uses when started without a file: one upstream per provider key
 * found in the environment, each with a single account named after the provider.
 */

const PROVIDERS = [
  {
    name: 'openai',
    protocol: 'openai',
    env: 'OPENAI_API_KEY',
    baseUrl: 'https://api.openai.com/v1',
  },
  {
    name: 'anthropic',
    protocol: 'anthropic',
    env: 'ANTHROPIC_API_KEY',
    baseUrl: 'https://api.anthropic.com/v1',
  },
  {
    name: 'gemini',
    protocol: 'gemini',
    env: 'GEMINI_API_KEY',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta',
  },
] as const;

export function defaultsFromEnvironment(env: Record<string, string | undefined>): unknown {
  const upstreams = PROVIDERS.filter((p) => env[p.env]).map((p) => ({
    name: p.name,
    protocol: p.protocol,
    base_url: p.baseUrl,
    accounts: [{ name: p.name, api_key: env[p.env] }],
  }));
  return { upstreams };
}
