// Every REST method against a real Argus (ARGUS_URL; tests/clients/test_js_sdk.py starts one).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ArgusMCPClient, InvalidParameterError, NotFoundError, ServiceUnavailableError } from 'argus-mcp-client';

const BASE = process.env.ARGUS_URL;
assert.ok(BASE, 'set ARGUS_URL to a running Argus (tests/clients/test_js_sdk.py does)');
const client = new ArgusMCPClient(BASE);

function lastMonth() {
  const now = new Date();
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  const start = new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 1));
  return [start.toISOString().slice(0, 10), end.toISOString().slice(0, 10)];
}

function assertProvenance(envelope) {
  assert.equal(envelope.success, true);
  assert.equal(envelope.source.source, 'simulated');
  assert.equal(envelope.source.simulated, true);
  assert.match(envelope.source.as_of, /^\d{4}-\d\d-\d\dT/);
}

test('getLatestMarketData: the spec envelope, keyed by symbol, with provenance', async () => {
  const result = await client.getLatestMarketData(['000001.SZ', '000002.SZ']);
  assertProvenance(result);
  assert.deepEqual(Object.keys(result.data).sort(), ['000001.SZ', '000002.SZ']);
  assert.equal(typeof result.data['000001.SZ'].price, 'number');
  assert.equal(typeof result.response_time_ms, 'number');
  const some = await client.getLatestMarketData('000001.SZ', { fields: ['price', 'volume'], useCache: false });
  assert.equal(some.cache_hit, false);
  assert.ok('price' in some.data['000001.SZ'] && 'volume' in some.data['000001.SZ']);
  assert.ok(!('turnover' in some.data['000001.SZ']));
});

test('getHistoryMarketData: bars of a past month, CSV too', async () => {
  const [start, end] = lastMonth();
  const history = await client.getHistoryMarketData(['000001.SZ'], start, end);
  assertProvenance(history);
  const bars = history.data['000001.SZ'];
  assert.ok(bars.length >= 15 && bars.length <= 23, `${bars.length} trading days`);
  assert.equal(history.total_records, bars.length);
  assert.equal(history.period, '1d');
  assert.ok(bars.every((bar) => bar.date >= start && bar.date <= end));
  const weekly = await client.getHistoryMarketData('000001.SZ', new Date(`${start}T12:00:00Z`), end, '1w', { adjust: 'pre' });
  assert.equal(weekly.period, '1w');
  assert.equal(weekly.adjustment.type, 'pre');
  const csv = await client.getHistoryMarketDataCsv('000001.SZ', start, end);
  assert.equal(csv.trim().split('\n').length, bars.length + 1);
  assert.match(csv.split('\n')[0], /source/);
});

test('full, instrument detail, trading dates and the node-to-node reads', async () => {
  const full = await client.getFullMarketData('000001.SZ', { depth: 10 });
  assertProvenance(full);
  assert.ok(full.data['000001.SZ'].orderbook.bids.length <= 10);
  const detail = await client.getInstrumentDetail(['000001.SZ']);
  assert.equal(detail.data['000001.SZ'].name, '平安银行');
  const [start, end] = lastMonth();
  const dates = await client.getTradingDates(start, end, 'SH');
  assert.equal(dates.data.total_days, dates.data.trading_dates.length);
  const page = await client.getInstruments({ limit: 2 });
  assert.equal(page.data.instruments.length, 2);
  assert.equal(typeof page.data.next, 'string');
  const ticks = await client.getTicks(['000001.SZ']);
  assert.ok(ticks.data['000001.SZ']);
  const trades = await client.getTrades('000001.SZ', 3);
  assert.ok(trades.data.length <= 3);
  const actions = await client.getCorporateActions('000001.SZ');
  assert.ok(actions.data['000001.SZ'].every((a) => typeof a.ex_date === 'string'));
});

test('cache stats, clear, optimize and config', async () => {
  const stats = await client.getCacheStats();
  assert.ok('hit_rate' in stats.data);
  const cleared = await client.clearCache({ cacheType: 'market_data', level: 'L1' });
  assert.equal(typeof cleared.cleared_keys, 'number');
  const optimized = await client.optimizeCache();
  assert.ok(Array.isArray(optimized.optimizations));
  const config = await client.getCacheConfig();
  const ttl = config.data.cache_rules.LATEST_DATA.ttl;
  const changed = await client.updateCacheConfig({ LATEST_DATA: { ttl: ttl + 1 } });
  assert.equal(changed.data.cache_rules.LATEST_DATA.ttl, ttl + 1);
  await client.updateCacheConfig({ LATEST_DATA: { ttl } });
  await assert.rejects(client.updateCacheConfig({ LATEST_DATA: { ttl: -1 } }), InvalidParameterError);
});

test('pools: create, list, detail, scale, health check, nodes, delete', async () => {
  const name = `js_sdk_${process.pid}`;
  const created = await client.createPool(name, { min_size: 1, max_size: 4, initial_size: 1 }, [{ host: '127.0.0.1', port: 9, weight: 1, max_connections: 4 }]);
  assert.equal(created.pool_name, name);
  try {
    const pools = await client.listPools();
    assert.ok(pools.pools.some((pool) => pool.name === name || pool.pool_name === name));
    const detail = await client.getPool(name);
    assert.equal(detail.pool_name, name);
    const scaled = await client.scalePool(name, 2);
    assert.equal(scaled.target_size, 2);
    const checked = await client.poolHealthCheck(name);
    assert.equal(checked.total_nodes, 1);
    assert.equal(checked.healthy_nodes, 0); // nothing listens on port 9
    const added = await client.addPoolNode(name, { host: '127.0.0.1', port: 10 });
    assert.equal(added.server_nodes_count, 2);
    const removed = await client.removePoolNode(name, '127.0.0.1', 10);
    assert.equal(removed.server_nodes_count, 1);
    await assert.rejects(client.scalePool(name, 99), InvalidParameterError);
  } finally {
    await client.deletePool(name);
  }
  await assert.rejects(client.getPool(name), NotFoundError);
});

test('health and metrics', async () => {
  const health = await client.health();
  assert.ok(['healthy', 'degraded'].includes(health.status));
  assert.equal(health.services.database, 'healthy');
  const system = await client.getSystemMetrics();
  assert.ok(system.data.memory_percent > 0);
  const service = await client.getServiceMetrics();
  assert.equal(typeof service.data.requests_total, 'number');
  const text = await client.getPrometheusMetrics();
  assert.match(text, /^# (HELP|TYPE) /m);
});

test('error answers reject with typed errors carrying the spec fields', async () => {
  const error = await client.getLatestMarketData(['bad']).catch((e) => e);
  assert.ok(error instanceof InvalidParameterError);
  assert.equal(error.code, 'INVALID_PARAMETER');
  assert.equal(error.status, 400);
  assert.match(String(error.details), /bad/);
  await assert.rejects(client.request('GET', '/api/v1/no_such_route'), NotFoundError);
  await assert.rejects(client.getHistoryMarketData('000001.SZ', '2024-02-30', '2024-03-01'), InvalidParameterError);
  await assert.rejects(client.getHistoryMarketDataCsv('000001.SZ', '2024-03-02', '2024-03-01'), InvalidParameterError);
});

test('no server: ServiceUnavailableError naming what was tried', async () => {
  const nowhere = new ArgusMCPClient('http://127.0.0.1:9', { timeoutMs: 2000 });
  const error = await nowhere.getLatestMarketData('000001.SZ').catch((e) => e);
  assert.ok(error instanceof ServiceUnavailableError);
  assert.equal(error.code, 'SERVICE_UNAVAILABLE');
  assert.match(String(error.details), /127\.0\.0\.1:9/);
});
