import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout (or on the given stream, for tests). Header and credential fields are
 * censored here as a second line of defence: no code path is meant to log them at all. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'tollgate' },
    redact: {
      paths: ['*.authorization', '*.api_key', '*.apiKey', '*.key', '*["x-api-key"]', 'headers'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
