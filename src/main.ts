import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { Gateway } from './gateway.js';

/**
 * `npm start [-- --config FILE]`: loads the configuration, starts the gateway, and shuts down
 * cleanly on SIGINT or SIGTERM. A configuration problem prints one line and exits with code 2.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } } });
  const path = values.config ?? process.env.TOLLGATE_CONFIG;

  let gateway: Gateway;
  try {
    gateway = new Gateway(loadConfig(path));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`tollgate: invalid configuration: ${err.message}\n`);
    process.exit(2);
  }
  if (gateway.config.upstreams.length === 0) {
    gateway.log.warn('no upstream configured: set OPENAI_API_KEY or pass --config FILE');
  }
  await gateway.listen();

  const stop = async (signal: string) => {
    gateway.log.info({ signal }, 'shutting down');
    await gateway.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`tollgate: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
