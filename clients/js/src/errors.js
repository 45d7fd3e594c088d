// Errors the SDK rejects with: one class per family of the spec's error codes (错误代码), as in the
// Python SDK (argus_mcp.exceptions). CacheError is deliberately a sibling of DataServiceError, not a
// subclass, so the user guide's retry recipe (catch DataServiceError, then CacheError: retry with
// useCache=false) can tell them apart. Catch ArgusError for everything.

export class ArgusError extends Error {
  /**
   * @param {string} code the spec's error code, e.g. INVALID_PARAMETER
   * @param {string} message the spec's message for it
   * @param {unknown} [details] what to fix, as the server said it
   * @param {{status?: number | null}} [options] the HTTP status, when there was an answer
   */
  constructor(code, message, details = null, { status = null } = {}) {
    super(`${code}: ${message}${details ? ` (${typeof details === 'string' ? details : JSON.stringify(details)})` : ''}`);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
    this.status = status;
    /** the spec's message alone (Error#message also names the code and details) */
    this.specMessage = message;
  }
}

/** The service could not answer: bad parameters, not found, unavailable, timeouts, ... */
export class DataServiceError extends ArgusError {}
/** INVALID_PARAMETER, MISSING_PARAMETER or METHOD_NOT_ALLOWED: `details` says what to fix. */
export class InvalidParameterError extends DataServiceError {}
export class NotFoundError extends DataServiceError {}
/** UNAUTHORIZED or FORBIDDEN. */
export class AuthenticationError extends DataServiceError {}
/** RATE_LIMIT_EXCEEDED; `retryAfter` is the server's Retry-After in seconds when it sent one. */
export class RateLimitError extends DataServiceError {
  constructor(code, message, details = null, options = {}) {
    super(code, message, details, options);
    /** @type {number | null} */
    this.retryAfter = null;
  }
}
/** SERVICE_UNAVAILABLE, TIMEOUT, XTQUANT_ERROR, DATABASE_ERROR, INTERNAL_ERROR, or no answer at all. */
export class ServiceUnavailableError extends DataServiceError {}
/** CACHE_ERROR: retrying with useCache=false reads from the source. */
export class CacheError extends ArgusError {}

const BY_CODE = {
  INVALID_PARAMETER: InvalidParameterError,
  MISSING_PARAMETER: InvalidParameterError,
  METHOD_NOT_ALLOWED: InvalidParameterError,
  NOT_FOUND: NotFoundError,
  UNAUTHORIZED: AuthenticationError,
  FORBIDDEN: AuthenticationError,
  RATE_LIMIT_EXCEEDED: RateLimitError,
  CACHE_ERROR: CacheError,
};

/** The error class that matches one of the spec's codes (unknown codes: ServiceUnavailableError). */
export function errorFor(code, message, details = null, options = {}) {
  const Cls = BY_CODE[code] ?? ServiceUnavailableError;
  return new Cls(code, message, details, options);
}
