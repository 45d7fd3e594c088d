# 检查缓存统计
stats = await cache_optimizer.get_cache_stats()
print(f"命中率: {stats['hit_rate']:.2%}")
print(f"缓存大小: {stats['cache_size']}")

# 调整 TTL 设置
await cache_optimizer.update_ttl("market_data", 600)  # 增加到 10 分钟
