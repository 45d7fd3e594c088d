// The protocol bookkeeping without a server: URLs, backoff, resume and duplicate filtering.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ArgusMCPClient, Backoff, Resume, exchangeClock, websocketUrl, errorFor, CacheError, DataServiceError, InvalidParameterError, RateLimitError, ServiceUnavailableError } from 'argus-mcp-client';

test('the WebSocket URL follows the base URL and its scheme', () => {
  assert.equal(websocketUrl('http://localhost:8001'), 'ws://localhost:8001/ws/market_data');
  assert.equal(websocketUrl('https://argus.example/prefix/'), 'wss://argus.example/prefix/ws/market_data');
  assert.equal(new ArgusMCPClient('http://10.0.0.5:9000/').websocketUrl, 'ws://10.0.0.5:9000/ws/market_data');
  assert.throws(() => websocketUrl('ftp://x'), TypeError);
});

test('the base URL defaults to ARGUS_URL, else localhost:8001', () => {
  const saved = process.env.ARGUS_URL;
  try {
    delete process.env.ARGUS_URL;
    assert.equal(new ArgusMCPClient().baseUrl, 'http://localhost:8001');
    process.env.ARGUS_URL = 'http://example.test:1234/';
    assert.equal(new ArgusMCPClient().baseUrl, 'http://example.test:1234');
  } finally {
    if (saved === undefined) delete process.env.ARGUS_URL;
    else process.env.ARGUS_URL = saved;
  }
});

test('errors map the spec codes to classes; CacheError is not a DataServiceError', () => {
  assert.ok(errorFor('MISSING_PARAMETER', 'x') instanceof InvalidParameterError);
  assert.ok(errorFor('RATE_LIMIT_EXCEEDED', 'x') instanceof RateLimitError);
  assert.ok(errorFor('XTQUANT_ERROR', 'x') instanceof ServiceUnavailableError);
  const cache = errorFor('CACHE_ERROR', '缓存错误', 'L2 down', { status: 500 });
  assert.ok(cache instanceof CacheError && !(cache instanceof DataServiceError));
  assert.equal(cache.status, 500);
  assert.equal(cache.details, 'L2 down');
});

test('backoff is capped, jittered and bounded', () => {
  const policy = new Backoff({ initial: 1, maximum: 8, maxAttempts: 3 });
  for (let failures = 1; failures < 10; failures += 1) {
    const ceiling = Math.min(8, 2 ** (failures - 1));
    const delay = policy.delay(failures);
    assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${failures}: ${delay}`);
  }
  assert.equal(policy.exhausted(2), false);
  assert.equal(policy.exhausted(3), true);
  assert.equal(new Backoff().exhausted(1_000_000), false);
  assert.equal(new Backoff({ maxAttempts: 0 }).exhausted(0), true);
});

test('resume drops duplicates and resumes each epoch after what it yielded', () => {
  const resume = new Resume(['000001.sz', '600000.SH', '000002.SZ'], ['price']);
  assert.deepEqual(resume.requests(), [{ action: 'subscribe', symbols: ['000001.SZ', '600000.SH', '000002.SZ'], fields: ['price'] }]);
  assert.equal(resume.accept({ type: 'subscribed', epoch: 'e1', data: {} }).type, 'subscribed');
  const snapshot = resume.accept({ type: 'snapshot', epoch: 'e1', data: [{ symbol: '000001.SZ', seq: 5 }] });
  assert.deepEqual(snapshot.data, [{ symbol: '000001.SZ', seq: 5 }]);
  assert.equal(resume.accept({ type: 'market_data', epoch: 'e1', data: { symbol: '000001.SZ', seq: 5 } }), null);
  assert.ok(resume.accept({ type: 'market_data', epoch: 'e1', data: { symbol: '000001.SZ', seq: 6 } }));
  assert.ok(resume.accept({ type: 'market_data', epoch: 'e2', data: { symbol: '600000.SH', seq: 1 } }));
  // a reconnection: one subscribe per epoch, the unseen symbol with the first
  assert.deepEqual(resume.requests(), [
    { action: 'subscribe', symbols: ['000001.SZ', '000002.SZ'], fields: ['price'], resume_from: { '000001.SZ': 6 }, epoch: 'e1' },
    { action: 'subscribe', symbols: ['600000.SH'], fields: ['price'], resume_from: { '600000.SH': 1 }, epoch: 'e2' },
  ]);
  assert.equal(resume.accept({ type: 'subscribed', epoch: 'e1', data: {} }), null); // its own ack
  assert.equal(resume.accept({ type: 'snapshot', epoch: 'e1', data: [{ symbol: '000001.SZ', seq: 6 }] }), null);
  assert.ok(resume.accept({ type: 'market_data', epoch: 'e1', data: { symbol: '000001.SZ', seq: 7 } }));
  // a reset starts the symbol's count afresh in the new epoch
  assert.equal(resume.accept({ type: 'reset', epoch: 'e3', data: { symbol: '000001.SZ', reason: 'epoch' } }).type, 'reset');
  assert.ok(resume.accept({ type: 'market_data', epoch: 'e3', data: { symbol: '000001.SZ', seq: 1 } }));
  assert.equal(resume.receive('not json'), null);
  assert.equal(resume.receive('[1]'), null);
  resume.accept({ type: 'error', action: null, error: { code: 'UNAUTHORIZED', message: '未授权访问', details: 'revoked' } });
  assert.equal(resume.refusal, 'revoked');
});

test('a replay reconnects from the last tick time and ends with the recording', () => {
  const replay = { date: '2024-01-15', speed: 'max' };
  const resume = new Resume(['000001.SZ'], null, replay);
  assert.deepEqual(resume.requests(), [{ action: 'subscribe', symbols: ['000001.SZ'], replay }]);
  const push = { type: 'market_data', epoch: 'a', replay: true, data: { symbol: '000001.SZ', seq: 7, timestamp: '2024-01-15T01:31:02.000Z' } };
  assert.ok(resume.accept(push));
  assert.deepEqual(resume.requests(), [{ action: 'subscribe', symbols: ['000001.SZ'], replay: { ...replay, from: '09:31:02' } }]);
  assert.equal(resume.accept(push), null, 'a repeat of the same seq is dropped');
  assert.equal(resume.ended, false);
  assert.ok(resume.accept({ type: 'status', replay: true, data: { replay: 'ended', ticks_sent: 1 } }));
  assert.equal(resume.ended, true);
  assert.equal(exchangeClock('2024-01-15T07:00:00Z'), '15:00:00');
  assert.equal(exchangeClock('not a time'), null);
});
