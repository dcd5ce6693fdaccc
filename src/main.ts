import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { Gateway } from './gateway.js';
import { importHistoryCommand } from './cli/import-history.js';

/**
 * `npm start [-- --config FILE]` (or `tollgate [--config FILE]`): loads the configuration, starts
 * the gateway, and shuts down cleanly on SIGINT or SIGTERM. A configuration problem prints one
 * line and exits with code 2. `tollgate import-history FILE` imports a codex-proxy usage history
 * instead.
 */
async function main(): Promise<void> {
  if (process.argv[2] === 'import-history') {
    process.exit(await importHistoryCommand(process.argv.slice(3)));
  }
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

  // Closing flushes the usage store: exiting before it resolves would lose the last second.
  const stop = async (signal: string) => {
    gateway.log.info({ signal }, 'shutting down');
    try {
      await gateway.close();
    } catch (err) {
      gateway.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`tollgate: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
