# 批量获取数据，减少网络开销
data = await client.get_latest_market_data_batch(symbols, batch_size=100)
