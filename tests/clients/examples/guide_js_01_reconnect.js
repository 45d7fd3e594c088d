// 实现自动重连
function connectWebSocket() {
    const ws = new WebSocket('ws://localhost:8001/ws/market_data');
    
    ws.onclose = () => {
        console.log('连接断开，5秒后重连...');
        setTimeout(connectWebSocket, 5000);
    };
    
    ws.onerror = (error) => {
        console.error('WebSocket 错误:', error);
    };
    
    return ws;
}
