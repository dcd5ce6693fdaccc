import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import { Gateway } from './gateway.js';
import { reloadFromFile } from './reload.js';
import { importHistoryCommand } from './cli/import-history.js';

/**
 * `npm start [-- --config FILE]` (or `tollgate [--config FILE]`): loads the configuration, starts
 * the gateway, reloads the configuration on SIGHUP, and shuts down cleanly on SIGINT or SIGTERM:
 * new connections are refused, exchanges in flight get `shutdown.grace_seconds` to finish (a
 * second signal cuts them at once), the usage file is written, and the exit code is 0. A configuration problem prints one
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
  // Signals are handled before the port opens: a SIGHUP sent the moment the gateway says it
  // listens must reload, not kill it.
  handleSignals(gateway, path);
  await gateway.listen();
}

/** SIGINT/SIGTERM drain and stop (a second one cuts the drain short); SIGHUP reloads. */
function handleSignals(gateway: Gateway, path: string | undefined): void {
  // Closing flushes the usage store: exiting before it resolves would lose the last second.
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      gateway.log.warn({ signal }, 'second signal: cutting the exchanges in flight');
      return void gateway.close(0);
    }
    stopping = true;
    gateway.log.info({ signal }, 'shutting down');
    try {
      await gateway.close(gateway.config.shutdown.grace_seconds * 1000);
    } catch (err) {
      gateway.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Without a file the configuration comes from the environment, which a signal cannot change.
  process.on('SIGHUP', () => {
    if (path) reloadFromFile(gateway, path);
    else gateway.log.warn('SIGHUP ignored: no configuration file to reload');
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`tollgate: failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
