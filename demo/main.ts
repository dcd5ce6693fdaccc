import { parseConfig } from '../src/config/load.js';
import { Gateway } from '../src/gateway.js';
import { startSimulator } from '../simulator/index.js';
import { DEMO_CLIENTS, demoConfig } from './config.js';
import { runTraffic } from './traffic.js';

/**
 * `npm run demo`: the simulated upstream, Tollgate configured for it (two accounts, two
 * clients) and a traffic generator with a realistic mix, all in this process and without any
 * API key. Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const port = Number(process.env.TOLLGATE_PORT ?? 8080);
  const simulator = await startSimulator({ codexQuota: true });
  const config = parseConfig(demoConfig(simulator.url, port));
  const gateway = new Gateway(config);
  const url = await gateway.listen();

  const stop = new AbortController();
  const clientKeys = DEMO_CLIENTS.map((c) => c.key);
  const traffic = runTraffic({ gatewayUrl: url, clientKeys, faults: simulator }, stop.signal);
  console.log(
    [
      'Tollgate demo running (simulated upstream, no API key needed).',
      `  metrics:        ${url}${config.metrics.path}`,
      `  usage summary:  ${url}/admin/usage-stats/summary`,
      `  health:         ${url}/health`,
      `  gateway:        ${url}/v1  (client keys: ${clientKeys.join(', ')})`,
      'Point a local Prometheus at the metrics URL (prometheus/prometheus.yml shows the job), or',
      'run `docker compose --profile demo up` for Prometheus, Grafana and Tempo. Ctrl-C stops.',
    ].join('\n'),
  );

  const shutdown = async () => {
    stop.abort();
    await traffic;
    await gateway.close();
    await simulator.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

main().catch((error: unknown) => {
  console.error(`demo: ${(error as Error).message}`);
  process.exit(1);
});
