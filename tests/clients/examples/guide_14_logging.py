import logging

# 设置日志级别
logging.basicConfig(
    level=logging.DEBUG,
    format='%(asctime)s - %(name)s - %(levelname)s - %(message)s'
)

# 查看特定模块日志
logger = logging.getLogger('argus_mcp.cache_optimizer')
logger.setLevel(logging.DEBUG)
