# 预加载常用股票数据
hot_symbols = ["000001.SZ", "000002.SZ", "399001.SZ"]
await cache_optimizer.preload_data(hot_symbols)
