import { mkdir, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Low } from 'lowdb';
import { DataFile, TextFile } from 'lowdb/node';
import type { Logger } from '../log.js';
import { decodeUsageFile, emptyState, UnreadableUsageFile, type UsageState } from './usage-file.js';

/** The usage file could not be opened and was left untouched: start-up stops with this. */
export class UsageFileError extends Error {
  readonly code = 'TOLLGATE_USAGE_FILE';
}

/** The file on disk, written through lowdb (a temporary file renamed over the old one, so a crash
 * mid-write leaves the previous version whole). One process owns the file: nothing stops a
 * second gateway, or an import run while the gateway is up, from writing over it (known gap; a
 * lock file holding the owner's pid, checked at open, would close it). */
export type UsageDb = Low<object>;

/**
 * Reads the usage file. A missing file starts an empty store. A file that is not a usage file
 * (unparseable JSON, or not an object) is renamed aside as `<file>.corrupt-<time>` with a
 * warning, and the store starts empty: the unreadable file is never overwritten.
 */
export async function openUsageFile(
  path: string,
  log: Logger,
): Promise<{ db: UsageDb; state: UsageState }> {
  const db = new Low<object>(new DataFile(path, { parse: JSON.parse, stringify }), {});
  const text = await readText(path);
  if (text === null) return { db, state: emptyState() };
  try {
    return { db, state: decodeUsageFile(JSON.parse(text)) };
  } catch (err) {
    if (!(err instanceof SyntaxError || err instanceof UnreadableUsageFile)) throw err;
    await setAside(path, err.message, log);
    return { db, state: emptyState() };
  }
}

/** Makes sure the file's folder exists before the first write. */
export async function prepareFolder(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
}

/** One line, no indentation: the snapshots dominate the file and stay compact this way. */
function stringify(data: object): string {
  return `${JSON.stringify(data)}\n`;
}

async function readText(path: string): Promise<string | null> {
  try {
    return await new TextFile(path).read();
  } catch (err) {
    throw new UsageFileError(`cannot read the usage file ${path}: ${(err as Error).message}`);
  }
}

async function setAside(path: string, reason: string, log: Logger): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const aside = `${path}.corrupt-${stamp}`;
  try {
    await rename(path, aside);
  } catch (err) {
    throw new UsageFileError(
      `the usage file ${path} is unreadable (${reason}) and could not be moved aside: ` +
        `${(err as Error).message}`,
    );
  }
  log.warn(
    { path, moved_to: aside, reason },
    'the usage file was unreadable: it was moved aside and usage starts from zero',
  );
}
