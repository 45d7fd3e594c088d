# 增加超时时间
client = DataServiceClient(
    base_url="http://localhost:8001",
    timeout=60  # 60 秒超时
)

# 检查网络连接
import requests
response = requests.get("http://localhost:8001/health")
print(response.status_code)
