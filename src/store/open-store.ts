import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { UsageStore } from './usage-store.js';

/** Opens the usage store the configuration describes, or none when storage is disabled. */
export async function openConfiguredStore(
  config: Config,
  log: Logger,
  onWriteFailure?: () => void,
): Promise<UsageStore | undefined> {
  const storage = config.storage;
  if (!storage.enabled) return undefined;
  const accounts = config.upstreams.flatMap((u) => u.accounts.map((a) => a.name));
  return UsageStore.open(
    {
      path: storage.path,
      snapshotIntervalMinutes: storage.snapshot_interval_minutes,
      retentionDays: storage.retention_days,
      writeIntervalMs: storage.write_interval_seconds * 1000,
      onWriteFailure,
    },
    accounts,
    log,
  );
}
