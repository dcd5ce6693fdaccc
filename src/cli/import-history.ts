import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import {
  HistoryImportError,
  importLegacyHistory,
  type ImportSummary,
} from '../store/legacy-import.js';
import { openConfiguredStore } from '../store/open-store.js';

const USAGE = 'usage: tollgate import-history FILE [--config tollgate.yaml]';

/** A failure the command reports in one line, with its exit code. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/**
 * `tollgate import-history FILE`: carries a codex-proxy `usage-history.json` over into the usage
 * store named by the configuration, so that its totals and history appear in the admin API. Run
 * it while Tollgate is stopped: a running gateway holds the store in memory and would write over
 * the import. Returns the process exit code.
 */
export async function importHistoryCommand(args: string[]): Promise<number> {
  try {
    const { file, configPath } = parseCommandLine(args);
    const config = readConfig(configPath);
    const json = await readHistory(file);
    const summary = await importInto(config, json, resolve(file));
    process.stdout.write(`${describe(summary, config.storage.path)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof CommandError)) throw err;
    process.stderr.write(`tollgate import-history: ${err.message}\n`);
    return err.exitCode;
  }
}

function parseCommandLine(args: string[]): { file: string; configPath?: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' } },
    });
  } catch (err) {
    throw new CommandError(`${(err as Error).message}\n${USAGE}`, 2);
  }
  if (parsed.positionals.length !== 1) throw new CommandError(USAGE, 2);
  return { file: parsed.positionals[0], configPath: parsed.values.config };
}

/** The configuration says where the store is, exactly as for the gateway. */
function readConfig(path: string | undefined): Config {
  try {
    return loadConfig(path ?? process.env.TOLLGATE_CONFIG);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw new CommandError(`invalid configuration: ${err.message}`, 2);
    }
    throw err;
  }
}

async function readHistory(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new CommandError(`cannot read ${file}: ${(err as Error).message}`, 1);
  }
}

async function importInto(config: Config, json: unknown, source: string): Promise<ImportSummary> {
  // No snapshot of its own: the import is not a moment of gateway traffic.
  const storage = { ...config.storage, snapshot_interval_minutes: 0 };
  const log = createLogger('warn', process.stderr);
  const store = await openConfiguredStore({ ...config, storage }, log);
  if (!store) throw new CommandError('storage.enabled is false: there is no store', 2);
  try {
    return store.update((state) => importLegacyHistory(state, json, source, Date.now()));
  } catch (err) {
    if (err instanceof HistoryImportError) throw new CommandError(`${source}: ${err.message}`, 1);
    throw err;
  } finally {
    await store.close();
  }
}

function describe({ imported, overlapping, totals }: ImportSummary, path: string): string {
  return (
    `imported ${imported} snapshots into ${path} (${overlapping} overlapping left out); ` +
    `totals grew by ${totals.request_count} requests, ${totals.host_in} input tokens, ` +
    `${totals.host_out} output tokens, ${totals.estimated_cost_usd.toFixed(6)} USD`
  );
}
