/**
 * The demo's Tollgate configuration: the simulator as an OpenAI upstream with two accounts and
 * as an Anthropic upstream with one, and two clients. The keys are demo values, not secrets;
 * the simulator accepts any key.
 */

export const DEMO_CLIENTS = [
  { name: 'alice', key: 'demo-client-alice-0001' },
  { name: 'build-bot', key: 'demo-client-build-bot-0001' },
] as const;

export const DEMO_ACCOUNTS = [
  { name: 'team-a', api_key: 'sk-demo-team-a-0001' },
  { name: 'team-b', api_key: 'sk-demo-team-b-0001' },
] as const;

export const DEMO_ANTHROPIC_ACCOUNT = { name: 'claude-team', api_key: 'sk-ant-demo-0001' };

export function demoConfig(upstreamUrl: string, port: number): Record<string, unknown> {
  return {
    listen: { host: '127.0.0.1', port },
    clients: DEMO_CLIENTS.map((c) => ({ ...c })),
    upstreams: [
      {
        name: 'openai',
        protocol: 'openai',
        base_url: upstreamUrl,
        accounts: DEMO_ACCOUNTS.map((a) => ({ ...a })),
      },
      {
        name: 'anthropic',
        protocol: 'anthropic',
        base_url: upstreamUrl,
        accounts: [{ ...DEMO_ANTHROPIC_ACCOUNT }],
      },
    ],
    accounts: { cooldown_seconds: 20 },
    // One line per exchange would bury the addresses printed at start.
    log: { level: 'warn' },
  };
}
