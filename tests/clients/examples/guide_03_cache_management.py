from argus_mcp.cache_optimizer import CacheOptimizer

# 获取缓存统计
optimizer = CacheOptimizer()
stats = await optimizer.get_cache_stats()
print(f"缓存命中率: {stats['hit_rate']:.2%}")

# 手动清理缓存
await optimizer.clear_cache("market_data")
