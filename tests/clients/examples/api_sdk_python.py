import asyncio
from argus_mcp.client import ArgusMCPClient

async def main():
    # 创建客户端
    client = ArgusMCPClient("http://localhost:8001")
    
    try:
        # 获取最新行情
        data = await client.get_latest_market_data(["000001.SZ", "000002.SZ"])
        print(f"最新行情: {data}")
        
        # 获取历史数据
        history = await client.get_history_market_data(
            symbols=["000001.SZ"],
            start_date="2024-01-01",
            end_date="2024-01-31"
        )
        print(f"历史数据: {len(history['000001.SZ'])} 条记录")
        
        # 缓存统计
        cache_stats = await client.get_cache_stats()
        print(f"缓存命中率: {cache_stats['hit_rate']:.2%}")
        
    finally:
        await client.close()

if __name__ == "__main__":
    asyncio.run(main())
