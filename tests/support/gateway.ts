import { EventEmitter, once } from 'node:events';
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
  /** Resolves with the log line of the next exchange to finish; call it before the cause. Some
   * endings (a client that left) have no response a test could wait on instead. */
  nextExchange(): Promise<LogLine>;
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

export async function startGateway(
  rawConfig: unknown,
  options: { env?: Record<string, string | undefined> } = {},
): Promise<TestGateway> {
  const logs: LogLine[] = [];
  const events = new EventEmitter();
  const write = (text: string) => {
    const line = JSON.parse(text) as LogLine;
    logs.push(line);
    if (line.msg === 'exchange') events.emit('exchange', line);
  };
  // A test that does not configure `storage` keeps no usage file: the default path would be
  // shared by every test file running at once.
  const raw = (rawConfig ?? {}) as Record<string, unknown>;
  const config = parseConfig('storage' in raw ? raw : { ...raw, storage: { enabled: false } });
  const gateway = new Gateway(config, {
    logDestination: { write },
    env: options.env ?? {},
  });
  const url = await gateway.listen();
  return {
    gateway,
    url,
    logs,
    exchanges: () => logs.filter((line) => line.msg === 'exchange'),
    nextExchange: async () => ((await once(events, 'exchange')) as [LogLine])[0],
    scrape: () => scrape(url, gateway.config.metrics.path),
    close: () => gateway.close(),
  };
}
