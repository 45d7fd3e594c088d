# 清理过期缓存
await cache_optimizer.cleanup_expired()

# 减少缓存大小
cache_config.max_size = 1000  # 限制缓存条目数

# 启用内存监控
import psutil
memory_usage = psutil.virtual_memory().percent
if memory_usage > 80:
    await cache_optimizer.emergency_cleanup()
