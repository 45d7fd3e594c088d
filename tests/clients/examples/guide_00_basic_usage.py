from argus_mcp.data_service_client import DataServiceClient

# 创建客户端
client = DataServiceClient("http://localhost:8001")

# 获取最新市场数据
data = await client.get_latest_market_data(["000001.SZ", "000002.SZ"])
print(data)
