# WebSocket 订阅示例
import websocket
import json

def on_message(ws, message):
    data = json.loads(message)
    print(f"收到数据: {data}")

ws = websocket.WebSocketApp(
    "ws://localhost:8001/ws/market_data",
    on_message=on_message
)

# 订阅股票
ws.send(json.dumps({
    "action": "subscribe",
    "symbols": ["000001.SZ", "000002.SZ"]
}))
