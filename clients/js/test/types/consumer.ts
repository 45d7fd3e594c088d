// Compiled (never run) by test/types.test.js: the declarations fit how the SDK is used.
import { ArgusMCPClient, ArgusError, Backoff, InvalidParameterError, type StreamMessage } from 'argus-mcp-client';

async function main(): Promise<void> {
  const client = new ArgusMCPClient('http://localhost:8001', { apiKey: 'ak_x', timeoutMs: 5000 });
  const latest = await client.getLatestMarketData(['000001.SZ']);
  const price: number | null = latest.data['000001.SZ'].price;
  const simulated: boolean = latest.source.simulated;
  const history = await client.getHistoryMarketData(['000001.SZ'], '2024-01-01', '2024-01-31', '1d', { adjust: 'pre' });
  const closes: number[] = history.data['000001.SZ'].map((bar) => bar.close);
  const total: number = history.total_records;
  const dates: string[] = (await client.getTradingDates('2024-01-01', new Date(), 'SH')).data.trading_dates;
  const hitRate: number | null = (await client.getCacheStats()).data.hit_rate;
  const pool = await client.createPool('p', { min_size: 1, max_size: 4 }, [{ host: '127.0.0.1', port: 8001 }]);
  const count: number = pool.server_nodes_count;
  const status: 'healthy' | 'degraded' | 'unhealthy' = (await client.health()).status;
  const ws = client.connectWebSocket();
  ws.onopen = () => ws.send(JSON.stringify({ action: 'subscribe', symbols: ['000001.SZ'] }));
  const subscription = client.subscribe(['000001.SZ'], ['price'], { reconnect: new Backoff({ maxAttempts: 5 }) });
  for await (const message of subscription) {
    const m: StreamMessage = message;
    if (m.type === 'market_data') console.log(m.epoch, m.data.seq, m.data.price);
    else if (m.type === 'reset') console.log(m.data.reason);
    break;
  }
  try {
    await client.getLatestMarketData([]);
  } catch (error) {
    if (error instanceof InvalidParameterError) console.log(error.code, error.details, error.status);
    else if (error instanceof ArgusError) console.log(error.code);
  }
  console.log(price, simulated, closes, total, dates, hitRate, count, status);
}

void main();
