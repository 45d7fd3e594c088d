// The spec's JavaScript SDK (SDK 示例 → JavaScript SDK) as a package: `new ArgusMCPClient(baseUrl)`.
//
// Every REST method resolves to the response body exactly as the server sent it (the spec's class
// returns `response.json()`): market-data answers are the envelope `{success, data, message,
// timestamp, source: {source, simulated, as_of}, cache_hit, cache_age_seconds, response_time_ms,
// ...}`, so provenance travels with the data. Error answers reject with the typed errors of
// errors.js (code, details, HTTP status); no answer at all rejects with ServiceUnavailableError.
//
// WebSocket: the browser's (or Node >= 22's) global WebSocket, else the `ws` package in Node 18/20.
// In Node, `ws` is preferred when installed because it can send the X-API-Key header; elsewhere the
// key goes in the handshake's `?api_key=` query, which the server also accepts.

import { ServiceUnavailableError, errorFor, RateLimitError } from './errors.js';
import { Backoff, Resume, gaveUp, refused, refusedHandshake, websocketUrl } from './stream.js';

export const DEFAULT_URL = 'http://localhost:8001';

const isNode = typeof process !== 'undefined' && Boolean(process.versions?.node);

async function loadWebSocket() {
  if (isNode) {
    try {
      const mod = await import('ws');
      const impl = mod.default ?? mod.WebSocket;
      if (typeof impl === 'function') return { impl, headers: true };
    } catch {
      // not installed: fall back to a global WebSocket (Node >= 22)
    }
  }
  if (typeof globalThis.WebSocket === 'function') return { impl: globalThis.WebSocket, headers: false };
  return null;
}

const DEFAULT_WEBSOCKET = await loadWebSocket();

function envUrl() {
  return isNode ? process.env.ARGUS_URL : undefined;
}

function join(values) {
  return typeof values === 'string' ? values : [...values].join(',');
}

/** A date argument as the API's YYYY-MM-DD: strings as given, Date objects as their Shanghai calendar day. */
function day(value) {
  if (value instanceof Date) {
    return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(value);
  }
  return value;
}

function flag(value) {
  return value === undefined ? undefined : value ? 'true' : 'false';
}

export class ArgusMCPClient {
  /**
   * @param {string} [baseUrl] default: the ARGUS_URL environment variable (Node), else http://localhost:8001
   * @param {object} [options] apiKey, timeoutMs (10000), headers, fetch, WebSocket
   */
  constructor(baseUrl, { apiKey = null, timeoutMs = 10_000, headers = {}, fetch: fetchImpl, WebSocket: webSocketImpl } = {}) {
    this.baseUrl = (baseUrl || envUrl() || DEFAULT_URL).replace(/\/+$/, '');
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
    this.headers = { Accept: 'application/json', ...headers, ...(apiKey ? { 'X-API-Key': apiKey } : {}) };
    this._fetch = fetchImpl ?? globalThis.fetch?.bind(globalThis);
    this._webSocket = webSocketImpl ? { impl: webSocketImpl, headers: false } : DEFAULT_WEBSOCKET;
  }

  /** The `/ws/market_data` URL of this server: the base URL's with ws:// (https → wss://). */
  get websocketUrl() {
    return websocketUrl(this.baseUrl);
  }

  // --- transport -------------------------------------------------------------------------------

  async _fetchResponse(method, path, { params, body } = {}) {
    if (!this._fetch) throw new TypeError('no fetch: pass {fetch} to the ArgusMCPClient constructor (Node >= 18 has one)');
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(params ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    const init = { method, headers: { ...this.headers }, signal: controller.signal };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    try {
      const response = await this._fetch(url, init);
      const text = await response.text();
      return { response, text };
    } catch (error) {
      if (controller.signal.aborted) {
        throw new ServiceUnavailableError('TIMEOUT', '请求超时', `${method} ${path}: no answer within ${this.timeoutMs} ms`);
      }
      const cause = error?.cause?.code ?? error?.cause?.message ?? error?.message ?? String(error);
      throw new ServiceUnavailableError('SERVICE_UNAVAILABLE', '服务不可用', `${method} ${url.origin}${path}: ${cause}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Any endpoint: the response's JSON object; error answers reject with the matching error class. */
  async request(method, path, { params, body } = {}) {
    const { response, text } = await this._fetchResponse(method, path, { params, body });
    let payload = null;
    try {
      payload = JSON.parse(text);
    } catch {
      payload = null;
    }
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new ServiceUnavailableError('INTERNAL_ERROR', '内部服务器错误', `HTTP ${response.status}: not a JSON object`, { status: response.status });
    }
    const error = payload.error;
    if (payload.success === false || (!response.ok && error && typeof error === 'object')) {
      const { code = 'INTERNAL_ERROR', message = '', details = null } = error && typeof error === 'object' ? error : {};
      const exc = errorFor(String(code), String(message), details, { status: response.status });
      const retryAfter = response.headers.get('Retry-After');
      if (exc instanceof RateLimitError && retryAfter !== null) exc.retryAfter = Number(retryAfter);
      throw exc;
    }
    if (!response.ok) throw new ServiceUnavailableError('INTERNAL_ERROR', '内部服务器错误', `HTTP ${response.status}`, { status: response.status });
    return payload;
  }

  async _text(method, path, params) {
    const { response, text } = await this._fetchResponse(method, path, { params });
    if (!response.ok) {
      // error answers are JSON envelopes even where success is text
      await this.request(method, path, { params });
    }
    return text;
  }

  // --- market data (the spec's 市场数据 API) ------------------------------------------------------

  /** Latest quotes: `data` keyed by symbol (at most 100 symbols). */
  getLatestMarketData(symbols, { fields, useCache } = {}) {
    return this.request('GET', '/api/v1/market_data/latest', {
      params: { symbols: join(symbols), fields: fields ? join(fields) : undefined, use_cache: flag(useCache) },
    });
  }

  /** Quote, order book (depth 5, 10 or 20) and recent trades keyed by symbol (at most 20 symbols). */
  getFullMarketData(symbols, { fields, depth, useCache } = {}) {
    return this.request('GET', '/api/v1/market_data/full', {
      params: { symbols: join(symbols), fields: fields ? join(fields) : undefined, depth, use_cache: flag(useCache) },
    });
  }

  /** Bars keyed by symbol, oldest first, with total_records, period and adjustment. */
  getHistoryMarketData(symbols, startDate, endDate, period = '1d', { adjust, useCache } = {}) {
    return this.request('GET', '/api/v1/market_data/history', {
      params: { symbols: join(symbols), start_date: day(startDate), end_date: day(endDate), period, adjust, use_cache: flag(useCache) },
    });
  }

  /** The same bars as CSV text (`format=csv`; every row carries source and simulated). */
  getHistoryMarketDataCsv(symbols, startDate, endDate, period = '1d', { adjust, useCache } = {}) {
    return this._text('GET', '/api/v1/market_data/history', {
      symbols: join(symbols), start_date: day(startDate), end_date: day(endDate), period, adjust, use_cache: flag(useCache), format: 'csv',
    });
  }

  /** Company facts, shares and market cap keyed by symbol (at most 50 symbols). */
  getInstrumentDetail(symbols, { useCache } = {}) {
    return this.request('GET', '/api/v1/market_data/instrument_detail', { params: { symbols: join(symbols), use_cache: flag(useCache) } });
  }

  /** `data` = {trading_dates, total_days, holidays}; market SH, SZ, BJ or ALL (default). */
  getTradingDates(startDate, endDate, market) {
    return this.request('GET', '/api/v1/market_data/trading_dates', { params: { start_date: day(startDate), end_date: day(endDate), market } });
  }

  /** Node to node: one page of instruments (`next` is the `after` of the following page), or the given symbols. */
  getInstruments({ symbols, limit, after } = {}) {
    return this.request('GET', '/api/v1/market_data/instruments', { params: { symbols: symbols ? join(symbols) : undefined, limit, after } });
  }

  /** Node to node: whole ticks (full book, status, limits) keyed by symbol (at most 100). */
  getTicks(symbols) {
    return this.request('GET', '/api/v1/market_data/ticks', { params: { symbols: join(symbols) } });
  }

  /** Node to node: recent trades of one symbol, newest first. */
  getTrades(symbol, limit) {
    return this.request('GET', '/api/v1/market_data/trades', { params: { symbol, limit } });
  }

  /** Node to node: {symbol: [{ex_date, cash_dividend, share_ratio}]}, oldest first (at most 50 symbols). */
  getCorporateActions(symbols) {
    return this.request('GET', '/api/v1/market_data/corporate_actions', { params: { symbols: join(symbols) } });
  }

  // --- cache (缓存管理 API) -----------------------------------------------------------------------

  getCacheStats() {
    return this.request('GET', '/api/v1/cache/stats');
  }

  /** cacheType market_data, history_data, basic_info or all; level L1, L2 or L3 (default: everything). */
  clearCache({ cacheType, level } = {}) {
    return this.request('DELETE', '/api/v1/cache/clear', { params: { cache_type: cacheType, level } });
  }

  optimizeCache() {
    return this.request('POST', '/api/v1/cache/optimize');
  }

  getCacheConfig() {
    return this.request('GET', '/api/v1/cache/config');
  }

  /** Change cache rules: `{LATEST_DATA: {ttl: 45}}` (PATCH); `replace: true` sends PUT (every field of each rule). */
  updateCacheConfig(cacheRules, { replace = false } = {}) {
    return this.request(replace ? 'PUT' : 'PATCH', '/api/v1/cache/config', { body: { cache_rules: cacheRules } });
  }

  // --- connection pools (连接池管理 API) -----------------------------------------------------------

  createPool(name, config, serverNodes) {
    return this.request('POST', '/api/v1/connection_pool/pools', { body: { name, config, server_nodes: serverNodes } });
  }

  listPools() {
    return this.request('GET', '/api/v1/connection_pool/pools');
  }

  getPool(name) {
    return this.request('GET', `/api/v1/connection_pool/pools/${encodeURIComponent(name)}`);
  }

  deletePool(name) {
    return this.request('DELETE', `/api/v1/connection_pool/pools/${encodeURIComponent(name)}`);
  }

  scalePool(name, targetSize) {
    return this.request('POST', `/api/v1/connection_pool/pools/${encodeURIComponent(name)}/scale`, { body: { target_size: targetSize } });
  }

  poolHealthCheck(name) {
    return this.request('POST', `/api/v1/connection_pool/pools/${encodeURIComponent(name)}/health_check`);
  }

  /** node: {host, port, weight?, max_connections?} */
  addPoolNode(name, node) {
    return this.request('POST', `/api/v1/connection_pool/pools/${encodeURIComponent(name)}/nodes`, { body: node });
  }

  removePoolNode(name, host, port) {
    return this.request('DELETE', `/api/v1/connection_pool/pools/${encodeURIComponent(name)}/nodes/${encodeURIComponent(`${host}:${port}`)}`);
  }

  // --- monitoring (系统监控 API) -------------------------------------------------------------------

  /** GET /health as sent (it has no envelope); a 503 `unhealthy` still resolves to its body. */
  async health() {
    const { response, text } = await this._fetchResponse('GET', '/health');
    try {
      const body = JSON.parse(text);
      if (body && typeof body === 'object' && !Array.isArray(body)) return body;
    } catch {
      // fall through
    }
    throw new ServiceUnavailableError('INTERNAL_ERROR', '内部服务器错误', `GET /health: HTTP ${response.status}, not a JSON object`, { status: response.status });
  }

  getSystemMetrics() {
    return this.request('GET', '/api/v1/metrics/system');
  }

  getServiceMetrics() {
    return this.request('GET', '/api/v1/metrics/service');
  }

  /** GET /metrics: the Prometheus text. */
  getPrometheusMetrics() {
    return this._text('GET', '/metrics');
  }

  // --- WebSocket (WebSocket API) ---------------------------------------------------------------

  _openSocket() {
    if (!this._webSocket) {
      throw new TypeError('no WebSocket: install the `ws` package (npm install ws) or pass {WebSocket} to the constructor');
    }
    const { impl, headers } = this._webSocket;
    let url = this.websocketUrl;
    if (headers) return new impl(url, { headers: this.apiKey ? { 'X-API-Key': this.apiKey } : {} });
    if (this.apiKey) url += `?api_key=${encodeURIComponent(this.apiKey)}`;
    return new impl(url);
  }

  /**
   * The spec's method: a WebSocket to this server's /ws/market_data (URL derived from the base URL).
   * Set its onopen/onmessage yourself, as in the spec's example; `{log: true}` also logs open,
   * messages and close to the console as the spec's class does. Nothing reconnects it: use
   * `subscribe()` for a stream that resumes across drops.
   */
  connectWebSocket({ log = false } = {}) {
    const ws = this._openSocket();
    if (log) {
      ws.addEventListener('open', () => console.log('WebSocket 连接已建立'));
      ws.addEventListener('message', (event) => console.log('收到数据:', JSON.parse(event.data)));
      ws.addEventListener('close', () => console.log('WebSocket 连接已关闭'));
    }
    return ws;
  }

  /**
   * Every message of /ws/market_data for `symbols`, across reconnections, as an async iterable:
   * `for await (const message of client.subscribe(['000001.SZ'], ['price']))`. A dropped connection
   * is reopened after `reconnect`'s jittered, capped backoff and resubscribed with `resume_from` (the
   * last seq yielded per symbol) and the `epoch` it came in, so missed pushes are replayed in order;
   * where they cannot be, the server's `reset` and fresh `snapshot` are yielded. Duplicates and a
   * reconnection's own ack are dropped. A refused key throws AuthenticationError; giving up throws
   * ServiceUnavailableError. `close()` (or leaving the loop) ends it.
   *
   * `{replay: {date: '2024-01-15', speed: 10, from: '09:30:00'}}` (speed a number or 'max') plays
   * that recorded day instead, over the same protocol (every message has `replay: true`); the
   * iteration ends after the end-of-recording status.
   */
  subscribe(symbols, fields = null, { reconnect = new Backoff(), replay = null } = {}) {
    return new Subscription(this, symbols, fields, reconnect, replay);
  }
}

class Inbox {
  #items = [];
  #waiter = null;

  push(item) {
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = null;
      waiter(item);
    } else {
      this.#items.push(item);
    }
  }

  next() {
    if (this.#items.length) return Promise.resolve(this.#items.shift());
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }
}

export class Subscription {
  #client;
  #policy;
  #closed = false;
  #socket = null;
  #inbox = null;
  #wake = null;
  #iterator = null;

  constructor(client, symbols, fields, reconnect, replay = null) {
    this.#client = client;
    this.#policy = reconnect;
    this.resume = new Resume(symbols, fields, replay);
    this.url = client.websocketUrl;
  }

  /** Stop: closes the connection, ends the iteration, cancels a pending reconnect. */
  close() {
    this.#closed = true;
    this.#inbox?.push({ kind: 'stopped' });
    this.#wake?.();
    try {
      this.#socket?.close(1000);
    } catch {
      // already closed
    }
  }

  [Symbol.asyncIterator]() {
    this.#iterator ??= this.#run();
    return this.#iterator;
  }

  async *#run() {
    let failures = 0;
    try {
      while (!this.#closed) {
        const inbox = new Inbox();
        this.#inbox = inbox;
        const socket = this.#client._openSocket();
        this.#socket = socket;
        let opened = false;
        let cause = null;
        const timer = setTimeout(() => {
          if (!opened) inbox.push({ kind: 'close', code: null, reason: '', cause: `no handshake within ${this.#client.timeoutMs} ms` });
        }, this.#client.timeoutMs);
        socket.onopen = () => {
          opened = true;
          clearTimeout(timer);
          // A refused key is answered by an error frame and a close, perhaps before these sends.
          try {
            for (const request of this.resume.requests()) socket.send(JSON.stringify(request));
          } catch {
            // closed meanwhile: the close event follows
          }
        };
        socket.onmessage = (event) => inbox.push({ kind: 'message', data: event.data });
        socket.onerror = (event) => inbox.push({ kind: 'error', event });
        socket.onclose = (event) => inbox.push({ kind: 'close', code: event.code, reason: event.reason });
        try {
          for (;;) {
            const event = await inbox.next();
            if (event.kind === 'stopped') return;
            if (event.kind === 'message') {
              failures = 0; // the server answered: the next drop starts the backoff afresh
              const message = this.resume.receive(event.data);
              if (message !== null) yield message;
              if (this.resume.ended) {
                this.close(); // a replay's recording is over
                return;
              }
              continue;
            }
            if (event.kind === 'error') {
              const refusal = refusedHandshake(this.url, event.event);
              if (refusal) throw refusal;
              cause = event.event?.message || event.event?.error?.message || 'connection error';
              continue;
            }
            // close
            if (event.cause) cause = event.cause;
            const refusal = refused(event.code, event.reason || this.resume.refusal || '');
            if (refusal) throw refusal;
            if (cause === null && !opened) cause = `closed with code ${event.code}`;
            break;
          }
        } finally {
          clearTimeout(timer);
          socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
          try {
            socket.close();
          } catch {
            // not open
          }
        }
        if (this.#closed) return;
        failures += 1;
        if (this.#policy.exhausted(failures)) throw gaveUp(this.url, failures, cause);
        await this.#sleep(this.#policy.delay(failures));
      }
    } finally {
      this.#closed = true;
      this.#socket = null;
    }
  }

  #sleep(seconds) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, seconds * 1000);
      this.#wake = done;
    });
  }
}
