// The spec's JavaScript SDK example (api_documentation.md, SDK 示例 → JavaScript SDK): its usage part
// verbatim, with the package's ArgusMCPClient in place of the class the spec asks you to copy.
// tests/clients/test_js_sdk.py runs it against a real server (the base URL replaced by the server's).
import { ArgusMCPClient } from 'argus-mcp-client';

// --- the spec, verbatim -------------------------------------------------------------------------
// 使用示例
const client = new ArgusMCPClient('http://localhost:8001');

// 获取数据
client.getLatestMarketData(['000001.SZ', '000002.SZ'])
    .then(data => console.log(data));

// WebSocket 连接
const ws = client.connectWebSocket();
ws.onopen = () => {
    ws.send(JSON.stringify({
        action: 'subscribe',
        symbols: ['000001.SZ', '000002.SZ']
    }));
};
// --- end of the spec ----------------------------------------------------------------------------

// What the spec's class logs for each message, then stop once the snapshot is in (the spec's
// example runs forever).
ws.addEventListener('message', (event) => {
    const data = JSON.parse(event.data);
    console.log('收到数据:', JSON.stringify(data));
    if (data.type === 'snapshot') ws.close();
});
