# 根据数据更新频率设置 TTL
cache_config = {
    "latest_data": 30,      # 最新数据 30 秒
    "minute_data": 300,     # 分钟数据 5 分钟
    "daily_data": 3600,     # 日线数据 1 小时
    "basic_info": 86400     # 基础信息 24 小时
}
