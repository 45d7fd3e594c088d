# 启用数据压缩
websocket_config = {
    "compression": "gzip",
    "compression_level": 6,
    "max_message_size": 1024 * 1024  # 1MB
}
