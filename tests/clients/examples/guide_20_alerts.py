# 设置监控阈值
thresholds = {
    "cache_hit_rate": 0.85,      # 缓存命中率 > 85%
    "response_time": 100,        # 响应时间 < 100ms
    "error_rate": 0.01,          # 错误率 < 1%
    "memory_usage": 0.80         # 内存使用 < 80%
}

# 实现告警
async def check_and_alert():
    metrics = await get_system_metrics()
    for metric, threshold in thresholds.items():
        if metrics[metric] > threshold:
            await send_alert(f"{metric} 超过阈值: {metrics[metric]}")
