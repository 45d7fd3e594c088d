# 根据负载自动调整
pool_config = PoolConfiguration(
    min_size=5,
    max_size=100,
    auto_scale=True,
    scale_threshold=0.8,    # 80% 利用率时扩容
    scale_factor=1.5        # 扩容 50%
)
