/**
 * Typed errors with stable codes (STYLE.md habit 10). Every code is listed once in ERROR_CODES and
 * documented in README.md; test/unit/errors.test.ts fails when one is missing from the docs.
 */
export const ERROR_CODES = {
  TRB_CONFIG_INVALID: { httpStatus: 500, description: 'The configuration file failed validation.' },
  TRB_CONFIG_UNREADABLE: {
    httpStatus: 500,
    description: 'The configuration file could not be read or parsed.',
  },
  TRB_SOURCE_INVALID: {
    httpStatus: 500,
    description: 'A source (VM file, registry payload) held invalid data.',
  },
  TRB_REGISTRY_UNREACHABLE: { httpStatus: 503, description: 'A registry could not be reached.' },
  TRB_REGISTRY_REJECTED: {
    httpStatus: 502,
    description:
      'The write-through registration store (Consul) refused a write made for the caller (ACL, bad request); nothing was committed.',
  },
  TRB_CATALOG_STORE: { httpStatus: 500, description: 'The SQLite catalog store failed.' },
  TRB_API_BAD_REQUEST: { httpStatus: 400, description: 'A request parameter or body was invalid.' },
  TRB_API_NOT_FOUND: { httpStatus: 404, description: 'The requested service or route does not exist.' },
  TRB_API_UNAUTHORIZED: {
    httpStatus: 401,
    description: 'The request carries no valid bearer token (Authorization: Bearer or X-Consul-Token).',
  },
  TRB_API_FORBIDDEN: { httpStatus: 403, description: "The token's scopes do not allow this request." },
  TRB_API_CONFLICT: {
    httpStatus: 409,
    description: 'The registration id, or a port of its service, belongs to another registration.',
  },
  TRB_API_RATE_LIMITED: {
    httpStatus: 429,
    description: 'The token sent more requests than its rate limit allows; retry after Retry-After seconds.',
  },
  TRB_API_LIMIT: {
    httpStatus: 507,
    description: 'The configured number of registrations (maxRegistrations) is reached.',
  },
  TRB_REGISTRATION_STORE: { httpStatus: 500, description: 'The SQLite registration store failed.' },
  TRB_API_GONE: {
    httpStatus: 410,
    description: 'The requested revision is older than the change log keeps.',
  },
  TRB_INTERNAL: { httpStatus: 500, description: 'An unexpected internal error.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface TributaryErrorOptions {
  /** The offending field, as a path (`sources[2].paths[0]`, `query.wait`). */
  readonly field?: string;
  readonly cause?: unknown;
  readonly httpStatus?: number;
}

/** The one error type the daemon throws on purpose; `code` is stable, `message` is for people. */
export class TributaryError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly httpStatus: number;

  constructor(code: ErrorCode, message: string, options: TributaryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TributaryError';
    this.code = code;
    this.field = options.field;
    this.httpStatus = options.httpStatus ?? ERROR_CODES[code].httpStatus;
  }
}

/** A readable one-line message for anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
