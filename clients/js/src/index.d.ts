// Types of argus-mcp-client (hand-written beside the plain ESM sources; test/types.test.js type-checks
// a consumer against them with tsc).

export type Symbols = string | readonly string[];
export type DateLike = string | Date;

/** Where the data came from: the envelope's `source` object. */
export interface Provenance {
  source: string;
  simulated: boolean;
  /** the data's own time (ISO 8601, UTC) */
  as_of: string | null;
}

/** Every successful answer: the spec's envelope. */
export interface Envelope<T = unknown> {
  success: true;
  data: T;
  message: string;
  timestamp: string;
  [extra: string]: unknown;
}

/** Market-data answers add their provenance and cache figures. */
export interface MarketDataEnvelope<T> extends Envelope<T> {
  source: Provenance;
  cache_hit?: boolean;
  cache_age_seconds?: number | null;
  response_time_ms?: number;
}

export interface Quote {
  symbol: string;
  name?: string;
  price: number | null;
  change?: number | null;
  change_pct?: number | null;
  volume?: number | null;
  turnover?: number | null;
  high?: number | null;
  low?: number | null;
  open?: number | null;
  prev_close?: number | null;
  timestamp: string;
  [field: string]: unknown;
}

export interface Bar {
  date: string;
  time?: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  turnover?: number | null;
  change?: number | null;
  change_pct?: number | null;
  [field: string]: unknown;
}

export interface HistoryEnvelope extends MarketDataEnvelope<Record<string, Bar[]>> {
  total_records: number;
  period: string;
  adjustment: { type: string; description: string; anchor_dates: Record<string, string | null> } | null;
}

export interface TradingDates {
  trading_dates: string[];
  total_days: number;
  holidays: string[];
}

export type Period = '1m' | '5m' | '15m' | '30m' | '1h' | '1d' | '1w' | '1mon';
export type Adjust = 'none' | 'pre' | 'post';

/** A body whose spec response has no `data` (cache clear/optimize, pools). */
export interface Body {
  success: true;
  message?: string;
  timestamp: string;
  [field: string]: unknown;
}

export interface CacheRule {
  ttl: number;
  max_size: number;
  level: 'L1' | 'L2' | 'L3';
  priority: 'high' | 'medium' | 'low';
  [field: string]: unknown;
}

export interface PoolNode {
  host: string;
  port: number;
  weight?: number;
  max_connections?: number;
}

export interface PoolConfig {
  min_size?: number;
  max_size?: number;
  initial_size?: number;
  timeout?: number;
  load_balance_strategy?: 'round_robin' | 'least_connections' | 'weighted_round_robin' | 'random' | string;
  auto_scale?: boolean;
  [field: string]: unknown;
}

export interface HealthBody {
  status: 'healthy' | 'degraded' | 'unhealthy';
  timestamp: string;
  version: string;
  uptime_seconds: number;
  services: { database: string; cache: string; xtquant: string };
  details?: Record<string, unknown>;
}

/** A server message of /ws/market_data, as yielded by `subscribe()`. */
export type StreamMessage =
  | { type: 'subscribed'; epoch: string | null; replay?: true; data: { symbols: string[]; fields: string[]; pending: string[]; subscribed: number; [k: string]: unknown } }
  | { type: 'snapshot'; epoch: string | null; replay?: true; data: Array<{ symbol: string; seq: number; [field: string]: unknown }> }
  | { type: 'market_data'; epoch: string; replay?: true; data: { symbol: string; seq: number; trading_day: string | null; timestamp: string; [field: string]: unknown } }
  | { type: 'reset'; epoch: string | null; data: { symbol: string; reason: string } }
  | { type: 'unsubscribed'; data: { symbols: string[]; subscribed: string[] } }
  | { type: 'status'; replay?: true; data: Record<string, unknown> }
  | { type: 'stats'; data: { total_connections: number; total_subscriptions: number; messages_sent: number; uptime_seconds: number; [k: string]: unknown } }
  | { type: 'pong'; timestamp: string }
  | { type: 'error'; action: string | null; error: { code: string; message: string; details: unknown }; timestamp?: string };

/** The WebSocket the client opens: the browser's, Node's global one, or the `ws` package's. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: { data: any }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: any) => void): void;
}

export interface ClientOptions {
  /** sent as X-API-Key (WebSocket: the header with `ws`, else `?api_key=`) */
  apiKey?: string | null;
  /** bound of each request and each WebSocket handshake (default 10000) */
  timeoutMs?: number;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  WebSocket?: new (url: string) => WebSocketLike;
}

export declare const DEFAULT_URL: 'http://localhost:8001';

export declare class Backoff {
  constructor(options?: { initial?: number; maximum?: number; maxAttempts?: number | null });
  readonly initial: number;
  readonly maximum: number;
  readonly maxAttempts: number | null;
  exhausted(failures: number): boolean;
  /** seconds before attempt `failures` + 1 */
  delay(failures: number): number;
}

/** A recorded day to play over the live protocol (speed: × recorded time, or 'max'). */
export interface ReplayOptions {
  date: string;
  speed?: number | 'max';
  from?: string;
}

export declare function exchangeClock(timestamp: string): string | null;

export declare class Resume {
  constructor(symbols: Symbols, fields?: readonly string[] | null, replay?: ReplayOptions | null);
  readonly replay: ReplayOptions | null;
  replayFrom: string | null;
  ended: boolean;
  readonly symbols: string[];
  readonly fields: string[] | null;
  readonly last: Map<string, [string | null, number]>;
  connections: number;
  refusal: string | null;
  readonly resumed: boolean;
  requests(): Array<{ action: 'subscribe'; symbols: string[]; fields?: string[]; resume_from?: Record<string, number>; epoch?: string; replay?: ReplayOptions }>;
  receive(raw: string | ArrayBuffer | Uint8Array): StreamMessage | null;
  accept(message: Record<string, unknown>): StreamMessage | null;
}

export declare class Subscription implements AsyncIterable<StreamMessage> {
  readonly url: string;
  readonly resume: Resume;
  close(): void;
  [Symbol.asyncIterator](): AsyncIterator<StreamMessage>;
}

export declare function websocketUrl(baseUrl: string): string;
export declare const CLOSE_UNAUTHORIZED: 4401;
export declare const CLOSE_FORBIDDEN: 4403;

export declare class ArgusMCPClient {
  constructor(baseUrl?: string, options?: ClientOptions);
  readonly baseUrl: string;
  readonly apiKey: string | null;
  readonly timeoutMs: number;
  readonly websocketUrl: string;

  request<T = Record<string, unknown>>(method: string, path: string, options?: { params?: Record<string, unknown>; body?: unknown }): Promise<T>;

  getLatestMarketData(symbols: Symbols, options?: { fields?: Symbols; useCache?: boolean }): Promise<MarketDataEnvelope<Record<string, Quote>>>;
  getFullMarketData(
    symbols: Symbols,
    options?: { fields?: Symbols; depth?: 5 | 10 | 20; useCache?: boolean },
  ): Promise<MarketDataEnvelope<Record<string, { basic?: Quote; orderbook?: { bids: Array<Record<string, number>>; asks: Array<Record<string, number>> }; recent_trades?: Array<Record<string, unknown>>; [k: string]: unknown }>>>;
  getHistoryMarketData(symbols: Symbols, startDate: DateLike, endDate: DateLike, period?: Period, options?: { adjust?: Adjust; useCache?: boolean }): Promise<HistoryEnvelope>;
  getHistoryMarketDataCsv(symbols: Symbols, startDate: DateLike, endDate: DateLike, period?: Period, options?: { adjust?: Adjust; useCache?: boolean }): Promise<string>;
  getInstrumentDetail(symbols: Symbols, options?: { useCache?: boolean }): Promise<MarketDataEnvelope<Record<string, Record<string, unknown>>>>;
  getTradingDates(startDate: DateLike, endDate: DateLike, market?: 'SH' | 'SZ' | 'BJ' | 'ALL'): Promise<MarketDataEnvelope<TradingDates>>;
  getInstruments(options?: { symbols?: Symbols; limit?: number; after?: string }): Promise<MarketDataEnvelope<{ instruments: Array<Record<string, unknown>>; total: number; next: string | null }>>;
  getTicks(symbols: Symbols): Promise<MarketDataEnvelope<Record<string, Record<string, unknown>>>>;
  getTrades(symbol: string, limit?: number): Promise<MarketDataEnvelope<Array<{ price: number; volume: number; direction: 'buy' | 'sell' | 'neutral'; timestamp: string }>>>;
  getCorporateActions(symbols: Symbols): Promise<MarketDataEnvelope<Record<string, Array<{ ex_date: string; cash_dividend: number; share_ratio: number }>>>>;

  getCacheStats(): Promise<Envelope<{ hit_rate: number | null; miss_rate: number | null; [k: string]: unknown }>>;
  clearCache(options?: { cacheType?: 'market_data' | 'history_data' | 'basic_info' | 'all'; level?: 'L1' | 'L2' | 'L3' }): Promise<Body & { cleared_keys: number; freed_memory_mb: number }>;
  optimizeCache(): Promise<Body & { optimizations: unknown[]; performance_improvement: Record<string, number | null> }>;
  getCacheConfig(): Promise<Envelope<{ cache_rules: Record<string, CacheRule> }>>;
  updateCacheConfig(cacheRules: Record<string, Partial<CacheRule>>, options?: { replace?: boolean }): Promise<Envelope<{ cache_rules: Record<string, CacheRule> }>>;

  createPool(name: string, config: PoolConfig, serverNodes: PoolNode[]): Promise<Body & { pool_name: string; config: PoolConfig; server_nodes_count: number }>;
  listPools(): Promise<Body & { pools: Array<Record<string, unknown>>; total_pools: number }>;
  getPool(name: string): Promise<Body & { pool_name: string; metrics: Record<string, unknown>; config: PoolConfig }>;
  deletePool(name: string): Promise<Body>;
  scalePool(name: string, targetSize: number): Promise<Body & { previous_size: number; new_size: number; target_size: number }>;
  poolHealthCheck(name: string): Promise<Body & { total_nodes: number; healthy_nodes: number; unhealthy_nodes: number; node_details: Array<Record<string, unknown>> }>;
  addPoolNode(name: string, node: PoolNode): Promise<Body & { pool_name: string; node: PoolNode; server_nodes_count: number }>;
  removePoolNode(name: string, host: string, port: number): Promise<Body>;

  health(): Promise<HealthBody>;
  getSystemMetrics(): Promise<Envelope<{ cpu_percent: number; memory_percent: number; disk_usage_percent: number; network_io: { bytes_sent: number; bytes_recv: number }; process_info: Record<string, number> }>>;
  getServiceMetrics(): Promise<Envelope<{ requests_total: number; requests_per_second: number | null; avg_response_time_ms: number | null; error_rate: number | null; active_connections: number; cache_hit_rate: number | null; database_connections: number | null }>>;
  getPrometheusMetrics(): Promise<string>;

  /** The spec's method: a WebSocket to /ws/market_data; nothing reconnects it. */
  connectWebSocket(options?: { log?: boolean }): WebSocketLike;
  /** Every message for `symbols`, resuming across reconnections. */
  subscribe(symbols: Symbols, fields?: readonly string[] | null, options?: { reconnect?: Backoff; replay?: ReplayOptions }): Subscription;
}

export declare class ArgusError extends Error {
  constructor(code: string, message: string, details?: unknown, options?: { status?: number | null });
  readonly code: string;
  readonly details: unknown;
  readonly status: number | null;
  readonly specMessage: string;
}
export declare class DataServiceError extends ArgusError {}
export declare class InvalidParameterError extends DataServiceError {}
export declare class NotFoundError extends DataServiceError {}
export declare class AuthenticationError extends DataServiceError {}
export declare class RateLimitError extends DataServiceError {
  retryAfter: number | null;
}
export declare class ServiceUnavailableError extends DataServiceError {}
export declare class CacheError extends ArgusError {}
export declare function errorFor(code: string, message: string, details?: unknown, options?: { status?: number | null }): ArgusError;
