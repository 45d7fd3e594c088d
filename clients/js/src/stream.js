// /ws/market_data for the SDK: the URL, the reconnect policy, and the resume bookkeeping.
// A port of the Python SDK's argus_mcp/stream.py, so both SDKs resume the same way.
//
// `Resume` is the protocol without I/O: it remembers the last `seq` yielded per symbol and the
// `epoch` it came in, builds the subscribe messages of each (re)connection (with `resume_from` and
// `epoch`), and filters what the server sends (duplicates, a reconnection's own ack). `Backoff` is
// the reconnect policy. `Subscription` (in client.js) does the I/O.

import { AuthenticationError, ServiceUnavailableError } from './errors.js';

// Close codes the server uses for a refused key: reconnecting cannot help.
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_FORBIDDEN = 4403;

/** `http://host:port/prefix` → `ws://host:port/prefix/ws/market_data` (https → wss). */
export function websocketUrl(baseUrl) {
  const url = new URL(baseUrl);
  const scheme = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[url.protocol];
  if (!scheme) throw new TypeError(`baseUrl must start with http:// or https://, not ${JSON.stringify(baseUrl)}`);
  return `${scheme}//${url.host}${url.pathname.replace(/\/+$/, '')}/ws/market_data`;
}

/** Reconnect delays: `initial` × 2ⁿ capped at `maximum` (seconds), each drawn between half and all of that. */
export class Backoff {
  /** @param {{initial?: number, maximum?: number, maxAttempts?: number | null}} [options] */
  constructor({ initial = 0.5, maximum = 30, maxAttempts = null } = {}) {
    this.initial = initial;
    this.maximum = maximum;
    /** consecutive failed (re)connections before giving up (null: never give up; 0: never reconnect) */
    this.maxAttempts = maxAttempts;
    Object.freeze(this);
  }

  exhausted(failures) {
    return this.maxAttempts !== null && failures >= this.maxAttempts;
  }

  /** Seconds to wait before attempt `failures` + 1 (`failures` >= 1). */
  delay(failures) {
    const ceiling = Math.min(this.maximum, this.initial * 2 ** Math.min(failures - 1, 32));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

/** What one subscription has yielded, so a reconnection resumes exactly after it. */
export class Resume {
  /**
   * @param {string | string[]} symbols @param {string[] | null | undefined} fields
   * @param {{date: string, speed?: number | 'max', from?: string} | null} [replay] a recorded day to play
   */
  constructor(symbols, fields, replay = null) {
    const wanted = typeof symbols === 'string' ? [symbols] : [...symbols];
    this.symbols = [...new Set(wanted.map((s) => s.trim().toUpperCase()))]; // as the server spells them
    this.fields = fields == null ? null : [...fields];
    // A replay reconnects from the exchange time of the last tick yielded (repeats dropped by seq).
    this.replay = replay == null ? null : { ...replay };
    this.replayFrom = null;
    /** the replay's end-of-recording status was yielded */
    this.ended = false;
    /** @type {Map<string, [string | null, number]>} symbol → [epoch, last seq yielded] */
    this.last = new Map();
    this.connections = 0;
    /** the details of the last error frame that refused the key */
    this.refusal = null;
  }

  /** The subscribe messages for a new connection: one per epoch the yielded seqs came in. */
  requests() {
    this.connections += 1;
    if (this.replay !== null) {
      const request = this.#request(this.symbols);
      request.replay = { ...this.replay, ...(this.replayFrom ? { from: this.replayFrom } : {}) };
      return [request];
    }
    /** @type {Map<string | null, Record<string, number>>} */
    const groups = new Map();
    for (const symbol of this.symbols) {
      const before = this.last.get(symbol);
      if (before) {
        const [epoch, seq] = before;
        if (!groups.has(epoch)) groups.set(epoch, {});
        groups.get(epoch)[symbol] = seq;
      }
    }
    const unseen = this.symbols.filter((s) => !this.last.has(s));
    if (groups.size === 0) return [this.#request(unseen)];
    const requests = [];
    let index = 0;
    for (const [epoch, seqs] of groups) {
      const request = this.#request([...Object.keys(seqs), ...(index === 0 ? unseen : [])]);
      request.resume_from = seqs;
      if (epoch !== null) request.epoch = epoch;
      requests.push(request);
      index += 1;
    }
    return requests;
  }

  #request(symbols) {
    const request = { action: 'subscribe', symbols };
    if (this.fields !== null) request.fields = this.fields;
    return request;
  }

  get resumed() {
    return this.connections > 1;
  }

  /** `accept` of one frame as received (null too for a frame that is not a JSON object). */
  receive(raw) {
    let message;
    try {
      message = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw));
    } catch {
      return null;
    }
    return message !== null && typeof message === 'object' && !Array.isArray(message) ? this.accept(message) : null;
  }

  /** The message to yield (null: a duplicate, or a reconnection's own acknowledgement). */
  accept(message) {
    const { type: kind, data } = message;
    const epoch = message.epoch ?? null;
    if (kind === 'market_data' && isObject(data)) {
      if (!this.#fresh(data, epoch)) return null;
      if (this.replay !== null && typeof data.timestamp === 'string') {
        this.replayFrom = exchangeClock(data.timestamp) ?? this.replayFrom;
      }
      return { ...message };
    }
    if (kind === 'status' && isObject(data) && data.replay === 'ended') {
      this.ended = true;
      return { ...message };
    }
    if (kind === 'snapshot' && Array.isArray(data)) {
      const fresh = data.filter((item) => isObject(item) && this.#fresh(item, epoch));
      if (this.resumed && fresh.length === 0) return null;
      return { ...message, data: fresh };
    }
    if (kind === 'reset' && isObject(data) && typeof data.symbol === 'string') {
      this.last.set(data.symbol, [epoch, 0]); // a new numbering: the fresh snapshot follows
      return { ...message };
    }
    if (kind === 'subscribed' && this.resumed) return null;
    const error = message.error;
    if (kind === 'error' && isObject(error) && (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN')) {
      this.refusal = String(error.details || error.message || '');
    }
    return { ...message };
  }

  /** Record `item` as yielded unless its seq is at or below the last yielded in its epoch. */
  #fresh(item, epoch) {
    const { symbol, seq } = item;
    if (typeof symbol !== 'string' || !Number.isInteger(seq)) return true;
    const before = this.last.get(symbol);
    if (before && before[0] === epoch && seq <= before[1]) return false;
    this.last.set(symbol, [epoch, seq]);
    return true;
  }
}

/** `HH:MM:SS` in exchange time (UTC+8 all year) of an ISO 8601 UTC timestamp (null if unreadable). */
export function exchangeClock(timestamp) {
  const moment = Date.parse(timestamp);
  if (Number.isNaN(moment)) return null;
  return new Date(moment + 8 * 3600 * 1000).toISOString().slice(11, 19);
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The error to throw instead of reconnecting after a close (null: reconnect). */
export function refused(closeCode, reason) {
  if (closeCode === CLOSE_UNAUTHORIZED) return new AuthenticationError('UNAUTHORIZED', '未授权访问', reason || null);
  if (closeCode === CLOSE_FORBIDDEN) return new AuthenticationError('FORBIDDEN', '禁止访问', reason || null);
  return null;
}

/** A handshake the server answered with HTTP 401/403 (the `ws` package reports the status in its error). */
export function refusedHandshake(url, errorEvent) {
  const text = String(errorEvent?.message ?? errorEvent?.error?.message ?? '');
  const match = /Unexpected server response: (\d{3})/.exec(text);
  const status = match ? Number(match[1]) : null;
  if (status === 401) return new AuthenticationError('UNAUTHORIZED', '未授权访问', `${url}: HTTP 401`, { status });
  if (status === 403) return new AuthenticationError('FORBIDDEN', '禁止访问', `${url}: HTTP 403`, { status });
  return null;
}

export function gaveUp(url, failures, cause) {
  return new ServiceUnavailableError(
    'SERVICE_UNAVAILABLE',
    '服务不可用',
    `${url}: no connection after ${failures} attempt(s): ${cause ?? 'closed by the server'}`,
  );
}
