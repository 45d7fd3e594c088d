// argus-mcp-client: the JavaScript/TypeScript SDK of the Argus market-data API (types: index.d.ts).
export { ArgusMCPClient, DEFAULT_URL, Subscription } from './client.js';
export { Backoff, Resume, exchangeClock, websocketUrl, CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN } from './stream.js';
export {
  ArgusError,
  AuthenticationError,
  CacheError,
  DataServiceError,
  InvalidParameterError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
  errorFor,
} from './errors.js';
