# 使用上下文管理器
async with DataServiceClient("http://localhost:8001") as client:
    data = await client.get_latest_market_data(["000001.SZ"])
    # 自动清理资源

# 定期清理
async def periodic_cleanup():
    while True:
        await cache_optimizer.cleanup_expired()
        await connection_pool_manager.health_check_all()
        await asyncio.sleep(300)  # 每 5 分钟清理一次
