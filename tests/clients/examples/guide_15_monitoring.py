# 获取系统指标
metrics = await system_monitor.get_metrics()
print(f"CPU 使用率: {metrics['cpu_percent']:.1f}%")
print(f"内存使用率: {metrics['memory_percent']:.1f}%")
print(f"网络 I/O: {metrics['network_io']}")

# 获取服务指标
service_metrics = await service_monitor.get_metrics()
print(f"请求 QPS: {service_metrics['qps']}")
print(f"平均响应时间: {service_metrics['avg_response_time']:.2f}ms")
print(f"错误率: {service_metrics['error_rate']:.2%}")
