/**
 * The demo's Tollgate configuration: one upstream (the simulator) with two accounts and two
 * clients. The keys are demo values, not secrets; the simulator accepts any bearer key.
 */

export const DEMO_CLIENTS = [
  { name: 'alice', key: 'demo-client-alice-0001' },
  { name: 'build-bot', key: 'demo-client-build-bot-0001' },
] as const;

export const DEMO_ACCOUNTS = [
  { name: 'team-a', api_key: 'sk-demo-team-a-0001' },
  { name: 'team-b', api_key: 'sk-demo-team-b-0001' },
] as const;

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
    ],
    accounts: { cooldown_seconds: 20 },
    // One line per exchange would bury the addresses printed at start.
    log: { level: 'warn' },
  };
}
