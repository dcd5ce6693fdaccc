import { parseConfig } from '../../src/config/load.js';
import { Gateway } from '../../src/gateway.js';
import { scrape, type Scrape } from './scrape.js';

/** One parsed JSON log line. */
export type LogLine = Record<string, unknown> & { msg: string };

/** A gateway started for a test on 127.0.0.1:0, with its log lines captured. */
export interface TestGateway {
  gateway: Gateway;
  url: string;
  logs: LogLine[];
  /** The log lines of finished exchanges, in order. */
  exchanges(): LogLine[];
  scrape(): Promise<Scrape>;
  close(): Promise<void>;
}

/** A minimal one-upstream configuration, merged with `overrides` (top-level keys replace). */
export function openAiConfig(baseUrl: string, overrides: Record<string, unknown> = {}) {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    upstreams: [
      {
        name: 'openai',
        protocol: 'openai',
        base_url: baseUrl,
        accounts: [{ name: 'team-a', api_key: 'sk-test-team-a-0001' }],
      },
    ],
    ...overrides,
  };
}

export async function startGateway(rawConfig: unknown): Promise<TestGateway> {
  const logs: LogLine[] = [];
  const gateway = new Gateway(parseConfig(rawConfig), {
    logDestination: { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) },
  });
  const url = await gateway.listen();
  return {
    gateway,
    url,
    logs,
    exchanges: () => logs.filter((line) => line.msg === 'exchange'),
    scrape: () => scrape(url, gateway.config.metrics.path),
    close: () => gateway.close(),
  };
}
