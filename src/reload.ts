import { isDeepStrictEqual } from 'node:util';
import { ConfigError, loadConfig } from './config/load.js';
import type { Config } from './config/schema.js';
import type { Gateway } from './gateway.js';
import { Attr, type ReloadResult } from './telemetry/vocabulary.js';

/** Sections read once at start: a reload keeps their old values and says a restart is needed.
 * The listener, the usage file, the upstream connection pool (timeouts), the retry loop, the
 * metric label policy, the logger and the admin router are all built from them. */
const RESTART_ONLY = [
  'listen',
  'storage',
  'timeouts',
  'retry',
  'metrics',
  'log',
  'admin',
] as const satisfies readonly (keyof Config)[];

/** The restart-only sections that differ between two configurations. */
export function restartOnlyChanges(current: Config, next: Config): string[] {
  return RESTART_ONLY.filter((key) => !isDeepStrictEqual(current[key], next[key]));
}

/** `next` with the restart-only sections of `current`. */
export function withRestartOnly(current: Config, next: Config): Config {
  const kept = Object.fromEntries(RESTART_ONLY.map((key) => [key, current[key]]));
  return { ...next, ...kept };
}

/**
 * SIGHUP: reads the configuration file again and applies it. A file that does not load (bad
 * YAML, a failed check, an unreadable pricing table) is refused with one warning naming the
 * problem, and the configuration in force stays. Never throws: a reload must not stop the
 * gateway.
 */
export function reloadFromFile(
  gateway: Gateway,
  path: string | undefined,
  env: Record<string, string | undefined> = process.env,
): ReloadResult {
  // Step 1: load and check the new file.
  let next: Config;
  let ignored: string[];
  try {
    next = loadConfig(path, env);
    ignored = gateway.reload(next);
  } catch (err) {
    const problem = err instanceof ConfigError ? err.message : (err as Error).message;
    gateway.log.warn({ problem }, 'configuration reload refused: the old configuration stays');
    return count(gateway, 'refused');
  }

  // Step 2: say what changed, and what waits for a restart.
  if (ignored.length > 0) {
    gateway.log.warn({ sections: ignored }, 'these sections change only on restart');
  }
  const accounts = gateway.pool.all().map((a) => a.name);
  gateway.log.info({ accounts }, 'configuration reloaded');
  return count(gateway, 'applied');
}

function count(gateway: Gateway, result: ReloadResult): ReloadResult {
  gateway.metrics.configReloads.add(1, { [Attr.result]: result });
  return result;
}
