"""连接池管理 API: thin DRF views over the pool services and selectors."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.envelope import success
from core.errors import InvalidParameter, MissingParameter
from pools import services
from pools.models import ServerNode
from pools.payloads import health_details, pool_detail, pool_summary
from pools.schemas import (
    ADDRESS,
    POOL_NAME,
    TAGS,
    NodeAddResponse,
    NodeRemoveResponse,
    PoolCreateResponse,
    PoolDeleteResponse,
    PoolDetailResponse,
    PoolHealthResponse,
    PoolListResponse,
    PoolScaleResponse,
    errors,
)
from pools.selectors import pool_get, pool_list, pool_measure
from pools.serializers import NodeSerializer, PoolCreateSerializer, ScaleSerializer


class PoolListView(APIView):
    @extend_schema(
        operation_id="pools_list",
        summary="List pools (获取连接池列表)",
        tags=TAGS,
        responses={200: PoolListResponse, **errors(not_found=False)},
    )
    def get(self, request: Request) -> Response:
        """Every pool with its measured connections."""
        pools = [pool_summary(pool, pool_measure(name=pool.name)) for pool in pool_list()]
        return Response(success(pools=pools, total_pools=len(pools)))

    @extend_schema(
        operation_id="pools_create",
        summary="Create a pool (创建连接池)",
        tags=TAGS,
        request=PoolCreateSerializer,
        responses={201: PoolCreateResponse, **errors(not_found=False)},
    )
    def post(self, request: Request) -> Response:
        """Create a pool and its nodes."""
        if isinstance(request.data, dict) and not str(request.data.get("name") or "").strip():
            raise MissingParameter(
                'name is required; e.g. {"name": "market_data_pool", "config": {"min_size": 5, "max_size": 50}}'
            )
        serializer = PoolCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        pool = services.pool_create(name=data["name"], config=data["config"], server_nodes=data["server_nodes"])
        body = success(
            message=f"Connection pool '{pool.name}' created successfully",
            pool_name=pool.name,
            config={"min_size": pool.min_size, "max_size": pool.max_size, "auto_scale": pool.auto_scale},
            server_nodes_count=len(data["server_nodes"]),
        )
        return Response(body, status=201)


class PoolDetailView(APIView):
    @extend_schema(
        operation_id="pools_detail",
        summary="A pool's metrics and config (获取连接池详情)",
        tags=TAGS,
        parameters=[POOL_NAME],
        responses={200: PoolDetailResponse, **errors()},
    )
    def get(self, request: Request, pool_name: str) -> Response:
        """One pool's measured metrics and its config."""
        pool = pool_get(name=pool_name)
        return Response(success(**pool_detail(pool, pool_measure(name=pool.name))))

    @extend_schema(
        operation_id="pools_delete",
        summary="Delete a pool",
        tags=TAGS,
        parameters=[POOL_NAME],
        responses={200: PoolDeleteResponse, **errors()},
    )
    def delete(self, request: Request, pool_name: str) -> Response:
        """Delete a pool; every process closes its connections."""
        services.pool_delete(name=pool_name)
        return Response(success(message=f"Connection pool '{pool_name}' deleted", pool_name=pool_name))


class PoolScaleView(APIView):
    @extend_schema(
        operation_id="pools_scale",
        summary="Scale a pool (手动扩缩容)",
        tags=TAGS,
        parameters=[POOL_NAME],
        request=ScaleSerializer,
        responses={200: PoolScaleResponse, **errors()},
    )
    def post(self, request: Request, pool_name: str) -> Response:
        """Set the pool's size within min_size..max_size."""
        serializer = ScaleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        target = serializer.validated_data["target_size"]
        result = services.pool_scale(name=pool_name, target_size=target)
        return Response(
            success(
                message=f"Pool '{pool_name}' scaled from {result.previous_size} to {result.new_size} connections",
                previous_size=result.previous_size,
                new_size=result.new_size,
                target_size=target,
            )
        )


class PoolHealthCheckView(APIView):
    @extend_schema(
        operation_id="pools_health_check",
        summary="Probe every node now (健康检查)",
        tags=TAGS,
        parameters=[POOL_NAME],
        request=None,
        responses={200: PoolHealthResponse, **errors()},
    )
    def post(self, request: Request, pool_name: str) -> Response:
        """Probe every node of the pool now."""
        nodes = services.pool_health_check(name=pool_name)
        return Response(
            success(
                message=f"Health check completed for pool '{pool_name}'",
                **health_details(nodes, pool_measure(name=pool_name)),
            )
        )


class PoolNodesView(APIView):
    @extend_schema(
        operation_id="pools_node_add",
        summary="Add a node to a pool",
        tags=TAGS,
        parameters=[POOL_NAME],
        request=NodeSerializer,
        responses={201: NodeAddResponse, **errors()},
    )
    def post(self, request: Request, pool_name: str) -> Response:
        """Add a node to the pool."""
        serializer = NodeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        node = services.pool_node_add(name=pool_name, node=serializer.validated_data)
        return Response(
            success(
                message=f"Node {node.address} added to pool '{pool_name}'",
                pool_name=pool_name,
                node={
                    "host": node.host,
                    "port": node.port,
                    "weight": node.weight,
                    "max_connections": node.max_connections,
                },
                server_nodes_count=ServerNode.objects.filter(pool_id=node.pool_id).count(),
            ),
            status=201,
        )


class PoolNodeDetailView(APIView):
    @extend_schema(
        operation_id="pools_node_remove",
        summary="Remove a node (host:port) from a pool",
        tags=TAGS,
        parameters=[POOL_NAME, ADDRESS],
        responses={200: NodeRemoveResponse, **errors()},
    )
    def delete(self, request: Request, pool_name: str, address: str) -> Response:
        """Remove node host:port from the pool."""
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise InvalidParameter(f"node address {address!r} must be host:port, e.g. 127.0.0.1:8001")
        services.pool_node_remove(name=pool_name, host=host, port=int(port))
        return Response(
            success(
                message=f"Node {host}:{port} removed from pool '{pool_name}'",
                pool_name=pool_name,
                server_nodes_count=ServerNode.objects.filter(pool__name=pool_name).count(),
            )
        )
