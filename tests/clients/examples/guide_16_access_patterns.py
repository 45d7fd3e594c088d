# 推荐：批量获取数据
symbols = ["000001.SZ", "000002.SZ", "000858.SZ"]
data = await client.get_latest_market_data_batch(symbols)

# 不推荐：逐个获取数据
for symbol in symbols:
    data = await client.get_latest_market_data([symbol])  # 效率低
