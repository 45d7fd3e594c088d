# 获取历史数据
history_data = await client.get_history_market_data(
    symbols=["000001.SZ"],
    start_date="2024-01-01",
    end_date="2024-01-31",
    period="1d"
)
