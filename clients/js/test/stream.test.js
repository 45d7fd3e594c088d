// /ws/market_data against a real Argus (ARGUS_URL) whose feed runs: connectWebSocket, subscribe, and
// resuming without a gap after the connection drops. The drop is real: the client talks to the server
// through a TCP relay in this process, and the relay cuts every connection.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';

import { ArgusMCPClient, Backoff, ServiceUnavailableError } from 'argus-mcp-client';

const BASE = process.env.ARGUS_URL;
assert.ok(BASE, 'set ARGUS_URL to a running Argus whose feed runs (tests/clients/test_js_sdk.py does)');
const SYMBOL = '000001.SZ';

function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A TCP relay to the server: `cut()` drops every relayed connection; the relay keeps listening. */
async function relay(target) {
  const { hostname, port } = new URL(target);
  const sockets = new Set();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(Number(port), hostname);
    for (const [a, b] of [[inbound, outbound], [outbound, inbound]]) {
      sockets.add(a);
      a.pipe(b);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    cut() {
      const count = sockets.size;
      for (const socket of sockets) socket.destroy();
      return count;
    },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(resolve);
    }),
  };
}

test("connectWebSocket: the spec's method, its URL derived from the base URL", async () => {
  const client = new ArgusMCPClient(BASE);
  const ws = client.connectWebSocket();
  const frames = [];
  const done = new Promise((resolve, reject) => {
    ws.onopen = () => ws.send(JSON.stringify({ action: 'subscribe', symbols: [SYMBOL, '000002.SZ'] }));
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      frames.push(message.type);
      if (message.type === 'snapshot') ws.send(JSON.stringify({ action: 'ping' }));
      if (message.type === 'pong') ws.send(JSON.stringify({ action: 'get_stats' }));
      if (message.type === 'stats') {
        assert.ok(message.data.total_connections >= 1);
        ws.close();
      }
    };
    ws.onclose = resolve;
    ws.onerror = (event) => reject(new Error(event.message ?? 'WebSocket error'));
  });
  await within(15_000, done, 'subscribed, snapshot, pong, stats');
  assert.deepEqual(frames.filter((t) => t !== 'status' && t !== 'market_data'), ['subscribed', 'snapshot', 'pong', 'stats']);
});

test('subscribe resumes after a dropped connection without a gap in seq', async () => {
  const proxy = await relay(BASE);
  const client = new ArgusMCPClient(proxy.url, { timeoutMs: 5000 });
  const subscription = client.subscribe([SYMBOL], ['price', 'volume'], { reconnect: new Backoff({ initial: 0.2, maximum: 1 }) });
  const seen = []; // [epoch, seq] of every snapshot entry and push, as yielded
  const types = [];
  let cut = false;
  let cutAt = 0;
  try {
    await within(60_000, (async () => {
      for await (const message of subscription) {
        types.push(message.type);
        if (message.type === 'market_data') seen.push([message.epoch, message.data.seq]);
        if (message.type === 'snapshot') for (const item of message.data) seen.push([message.epoch, item.seq]);
        if (message.type === 'reset') seen.push([message.epoch, 'reset']);
        const pushes = types.filter((t) => t === 'market_data').length;
        if (!cut && pushes >= 1) {
          assert.ok(proxy.cut() >= 2, 'the relay carried the connection');
          cut = true;
          cutAt = seen.length;
        }
        if (cut && seen.length >= cutAt + 2) break;
      }
    })(), 'pushes before and after the drop');
  } finally {
    subscription.close();
    await proxy.close();
  }
  assert.equal(subscription.resume.connections >= 2, true, 'it reconnected');
  // Within an epoch every seq is the one after the previous: nothing missed, nothing twice.
  for (let i = 1; i < seen.length; i += 1) {
    const [epoch, seq] = seen[i];
    const [lastEpoch, lastSeq] = seen[i - 1];
    if (seq === 'reset' || lastSeq === 'reset' || epoch !== lastEpoch) continue;
    assert.equal(seq, lastSeq + 1, `after ${lastSeq} came ${seq} (${JSON.stringify(seen)})`);
  }
  assert.equal(types.filter((t) => t === 'subscribed').length, 1, 'the reconnection’s own ack is not yielded');
});

test('subscribe with replay plays the recorded day and ends with the recording', async () => {
  // The server records what its feed accepts (tests/clients/test_js_sdk.py switches the recorder on).
  const client = new ArgusMCPClient(BASE, { timeoutMs: 5000 });
  const live = client.subscribe([SYMBOL], ['price']);
  const seen = new Map(); // seq -> price, as pushed live
  let day = null;
  try {
    await within(60_000, (async () => {
      for await (const message of live) {
        if (message.type !== 'market_data') continue;
        day = message.data.trading_day;
        seen.set(message.data.seq, message.data.price);
        if (seen.size >= 2) break;
      }
    })(), 'live pushes');
  } finally {
    live.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 2500)); // more than one flush of the recorder
  const replayed = [];
  let ended = null;
  const replay = client.subscribe([SYMBOL], ['price'], { replay: { date: day, speed: 'max' } });
  await within(60_000, (async () => {
    for await (const message of replay) {
      assert.equal(message.replay, true, JSON.stringify(message));
      if (message.type === 'market_data') replayed.push(message.data);
      if (message.type === 'status' && message.data.replay === 'ended') ended = message.data;
    }
  })(), 'a replay to its end');
  assert.ok(ended, 'the end of the recording was yielded, then the iteration ended');
  assert.equal(ended.ticks_sent, replayed.length);
  const seqs = replayed.map((d) => d.seq);
  assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), 'in order, none missing, none twice');
  for (const [seq, price] of seen) {
    const found = replayed.find((d) => d.seq === seq);
    assert.ok(found, `live seq ${seq} was recorded`);
    assert.equal(found.price, price);
  }
});

test('subscribe gives up after its attempts when nothing listens', async () => {
  const client = new ArgusMCPClient('http://127.0.0.1:9', { timeoutMs: 2000 });
  const subscription = client.subscribe(SYMBOL, null, { reconnect: new Backoff({ initial: 0.05, maximum: 0.1, maxAttempts: 3 }) });
  const error = await within(10_000, (async () => {
    try {
      for await (const message of subscription) assert.fail(`got ${message.type}`);
    } catch (exc) {
      return exc;
    }
    return null;
  })(), 'giving up');
  assert.ok(error instanceof ServiceUnavailableError, String(error));
  assert.match(String(error.details), /3 attempt/);
});
