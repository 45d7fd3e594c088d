from argus_mcp.dynamic_connection_pool import connection_pool_manager

# 创建连接池
await connection_pool_manager.create_pool(
    name="market_data_pool",
    config=PoolConfiguration(
        min_size=5,
        max_size=50,
        auto_scale=True
    )
)

# 获取连接池指标
metrics = pool.get_metrics()
print(f"连接池利用率: {metrics['pool_utilization']:.2%}")
