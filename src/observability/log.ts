/** Structured JSON logs (pino) with secret redaction; one root logger, child loggers per component. */
import { pino, type Logger } from 'pino';

/** The root logger, writing JSON lines to stdout (or `destination`, for tests). */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tributary' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['*.token', '*.password', '*.secret', 'headers.authorization', 'headers["x-consul-token"]'],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
