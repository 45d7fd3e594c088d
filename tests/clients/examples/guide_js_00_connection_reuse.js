// 复用 WebSocket 连接
const ws = new WebSocket('ws://localhost:8001/ws/market_data');
ws.onopen = () => {
    // 订阅多个股票
    ws.send(JSON.stringify({
        action: 'subscribe',
        symbols: ['000001.SZ', '000002.SZ', '000858.SZ']
    }));
};
