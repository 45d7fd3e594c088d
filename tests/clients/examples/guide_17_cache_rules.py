# 根据数据特性设置缓存
cache_rules = {
    # 实时数据：短 TTL，高优先级
    "realtime": {"ttl": 30, "priority": "high"},
    
    # 历史数据：长 TTL，中优先级
    "historical": {"ttl": 3600, "priority": "medium"},
    
    # 基础信息：很长 TTL，低优先级
    "basic_info": {"ttl": 86400, "priority": "low"}
}
