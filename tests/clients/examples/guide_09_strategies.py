# 选择合适的负载均衡策略
strategies = [
    "round_robin",      # 轮询 (默认)
    "least_connections", # 最少连接
    "weighted_round_robin", # 加权轮询
    "random"            # 随机
]
