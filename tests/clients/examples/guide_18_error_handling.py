import asyncio
from argus_mcp.exceptions import DataServiceError, CacheError

async def robust_data_fetch(symbols):
    """健壮的数据获取"""
    max_retries = 3
    retry_delay = 1
    
    for attempt in range(max_retries):
        try:
            return await client.get_latest_market_data(symbols)
        except DataServiceError as e:
            if attempt == max_retries - 1:
                raise
            await asyncio.sleep(retry_delay * (2 ** attempt))  # 指数退避
        except CacheError:
            # 缓存错误时直接从源获取
            return await client.get_latest_market_data(symbols, use_cache=False)
