"""Production store: every process of a deployment shares sequences, buffers and registries in Redis.

- seq: one hash per trading day, `stream:seq:<day>`, with a field per symbol (HINCRBY) and the field
  `_epoch`: the epoch token, created with the hash. Counters and epoch live and die together, so
  whatever makes Redis lose the counters (a restart without persistence, a failover, FLUSHDB) also
  loses the epoch, and the next commit starts a new one: clients then get `reset`, never a
  numbering that silently restarts under the old one.
- buffer: a stream `stream:buf:<day>:<epoch>:<symbol>` whose entry id is `<seq>-1`, trimmed with
  MAXLEN ~; a new epoch starts new buffers. Both expire two days after their last write.
- One Lua script per batch does HINCRBY + XADD + PUBLISH, so a seq is never handed out without being
  buffered and published, and batches reach subscribers in seq order.
- Wanted symbols: a sorted set scored by the last heartbeat of a process subscribed to them.
- Per-process counters: a hash per process with a TTL, listed in a sorted set.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import redis
import redis.asyncio as aredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from cachemgr.keys import stream_key
from core import clock
from streaming.store import Entry, ProcessStats, StreamStore, new_epoch

_DAY_TTL = 2 * 86400

# KEYS: day key, channel, seq hash. ARGV: day, maxlen, ttl, a fresh epoch, buffer prefix, then
# (symbol, payload) pairs. Returns {epoch, seq, seq, ...}.
_COMMIT = """
redis.call('SET', KEYS[1], ARGV[1])
local epoch = redis.call('HGET', KEYS[3], '_epoch')
if not epoch then
  epoch = ARGV[4]
  redis.call('HSET', KEYS[3], '_epoch', epoch)
end
redis.call('EXPIRE', KEYS[3], ARGV[3])
local parts = {}
local result = {epoch}
for i = 1, (#ARGV - 5) / 2 do
  local symbol, payload = ARGV[4 + 2 * i], ARGV[5 + 2 * i]
  local seq = redis.call('HINCRBY', KEYS[3], symbol, 1)
  local buf_key = ARGV[5] .. epoch .. ':' .. symbol
  redis.call('XADD', buf_key, 'MAXLEN', '~', ARGV[2], seq .. '-1', 'q', payload)
  redis.call('EXPIRE', buf_key, ARGV[3])
  result[i + 1] = seq
  parts[i] = '[' .. seq .. ',' .. payload .. ']'
end
redis.call('PUBLISH', KEYS[2], '{"epoch":"' .. epoch .. '","quotes":[' .. table.concat(parts, ',') .. ']}')
return result
"""

# KEYS: day key. ARGV: seq hash prefix, buffer prefix, then symbols. Returns {epoch, rows} with a
# row {symbol, entry id, quote} per symbol that has an entry in the current epoch ({} when none).
_LATEST = """
local day = redis.call('GET', KEYS[1])
if not day then return {} end
local epoch = redis.call('HGET', ARGV[1] .. day, '_epoch')
if not epoch then return {} end
local found = {}
for i = 3, #ARGV do
  local rows = redis.call('XREVRANGE', ARGV[2] .. day .. ':' .. epoch .. ':' .. ARGV[i], '+', '-', 'COUNT', 1)
  if rows[1] then found[#found + 1] = {ARGV[i], rows[1][1], rows[1][2][2]} end
end
return {epoch, found}
"""

_UNLOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"
_EXTEND = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"


def channel_name() -> str:
    """The one pub/sub channel every web process listens on."""
    return stream_key("pushes")


class RedisStore(StreamStore):
    """Shared state in Redis (see the module docstring)."""

    def __init__(self, *, url: str, buffer_size: int, max_connections: int) -> None:
        self.url = url
        self._buffer_size = buffer_size
        # Any: redis-py's stubs type every reply as a union; replies here are decoded strings.
        self._sync: Any = redis.Redis.from_url(
            url, max_connections=max_connections, socket_timeout=5, decode_responses=True
        )
        self._commit = self._sync.register_script(_COMMIT)
        self._async_clients: dict[int, Any] = {}
        self._max_connections = max_connections

    def async_client(self) -> Any:
        """A client bound to the running event loop (tests run several loops in one process)."""
        import asyncio

        loop_id = id(asyncio.get_running_loop())
        client = self._async_clients.get(loop_id)
        if client is None:
            # A blocking pool: at the bound, a command waits for a free connection instead of failing
            # (redis-py's default pool raises MaxConnectionsError, which broke reconnect storms).
            # health_check_interval: a connection idle that long is PINGed before reuse, so the
            # connections a Redis restart killed are replaced instead of failing commands one by one.
            # retry: a command on a pooled connection the restart killed fails at once ("Connection
            # closed by server"); it is sent once more on a new connection (redis-py's pooled
            # connections retry nothing by default), so no subscribe or catch-up fails for it. A
            # timeout is not retried: a hung Redis costs one socket_timeout, not two.
            pool = aredis.BlockingConnectionPool.from_url(
                self.url,
                max_connections=self._max_connections,
                timeout=10,
                socket_timeout=5,
                decode_responses=True,
                health_check_interval=10,
                retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
            )
            client = aredis.Redis(connection_pool=pool)
            self._async_clients = {loop_id: client}
        return client

    def pubsub(self) -> Any:
        """A pub/sub connection without a read timeout (it waits as long as the feed is quiet)."""
        client = aredis.Redis.from_url(self.url, decode_responses=True, health_check_interval=30)
        return client.pubsub(ignore_subscribe_messages=True)

    # --- feed side ---
    def fingerprints(self, symbols: Sequence[str]) -> dict[str, str]:
        if not symbols:
            return {}
        values = self._sync.hmget(stream_key("fingerprints"), list(symbols))
        return {s: v for s, v in zip(symbols, values, strict=True) if v is not None}

    def commit(self, day: str, items: Sequence[tuple[str, str, bytes]]) -> tuple[str, list[int]]:
        if not items:
            return "", []
        keys: list[str] = [stream_key("day"), channel_name(), stream_key("seq", day)]
        args: list[Any] = [day, self._buffer_size, _DAY_TTL, new_epoch(), stream_key("buf", day) + ":"]
        for symbol, _, raw in items:
            args += [symbol, raw]
        epoch, *replies = self._commit(keys=keys, args=args)
        seqs = [int(s) for s in replies]
        now = clock.timestamp()
        pipe = self._sync.pipeline(transaction=False)
        pipe.hset(stream_key("fingerprints"), mapping={s: fp for s, fp, _ in items})
        pipe.hset(stream_key("arrivals"), mapping={s: now for s, _, _ in items})
        pipe.execute()
        return str(epoch), seqs

    def publish_status(self, message: bytes) -> None:
        self._sync.publish(channel_name(), message)

    def wanted_symbols(self, max_age: float) -> set[str]:
        key = stream_key("wanted")
        cutoff = clock.timestamp() - max_age
        self._sync.zremrangebyscore(key, "-inf", cutoff)
        return set(self._sync.zrangebyscore(key, cutoff, "+inf"))

    def arrivals(self, symbols: Sequence[str], now: float) -> dict[str, float]:
        if not symbols:
            return {}
        key = stream_key("arrivals")
        values = self._sync.hmget(key, list(symbols))
        fresh = {s: now for s, v in zip(symbols, values, strict=True) if v is None}
        if fresh:
            self._sync.hset(key, mapping=fresh)
        return {s: float(v) if v is not None else now for s, v in zip(symbols, values, strict=True)}

    def swap_stale(self, stale: set[str]) -> tuple[set[str], set[str]]:
        before = self.stale()
        pipe = self._sync.pipeline()
        pipe.delete(stream_key("stale"))
        if stale:
            pipe.sadd(stream_key("stale"), *stale)
        pipe.execute()
        return stale - before, before - stale

    def stale(self) -> set[str]:
        return set(self._sync.smembers(stream_key("stale")))

    def swap(self, name: str, value: str) -> str | None:
        old: str | None = self._sync.set(stream_key("value", name), value, get=True)
        return old

    async def value(self, name: str) -> str | None:
        found: str | None = await self.async_client().get(stream_key("value", name))
        return found

    def try_lock(self, name: str, ttl: float) -> str | None:
        token = uuid.uuid4().hex
        ok = self._sync.set(stream_key("lock", name), token, nx=True, px=int(ttl * 1000))
        return token if ok else None

    def extend_lock(self, name: str, token: str, ttl: float) -> bool:
        return bool(self._sync.eval(_EXTEND, 1, stream_key("lock", name), token, int(ttl * 1000)))

    def unlock(self, name: str, token: str) -> None:
        self._sync.eval(_UNLOCK, 1, stream_key("lock", name), token)

    # --- hub side ---
    async def _day(self, client: Any) -> str | None:
        day: str | None = await client.get(stream_key("day"))
        return day or None

    async def latest(self, symbols: Sequence[str]) -> dict[str, Entry]:
        if not symbols:
            return {}
        # One round trip (a subscribe storm made the GET + pipeline pair a visible share of the
        # snapshot's latency). The script builds buffer names from the day it reads, so it assumes
        # one Redis, not a cluster, as everything else here does.
        script = self.async_client().register_script(_LATEST)
        args = [stream_key("seq") + ":", stream_key("buf") + ":", *symbols]
        reply = await script(keys=[stream_key("day")], args=args)
        if not reply:
            return {}
        epoch, rows = reply
        return {symbol: Entry(int(entry_id.split("-")[0]), orjson.loads(raw), epoch) for symbol, entry_id, raw in rows}

    async def replay(self, symbol: str, after: int, epoch: str | None = None) -> list[Entry] | None:
        client = self.async_client()
        day = await self._day(client)
        if day is None:
            return None
        current_epoch, seq = await client.hmget(stream_key("seq", day), ["_epoch", symbol])
        if current_epoch is None or (epoch is not None and epoch != current_epoch):
            return None
        current = int(seq or 0)
        if after > current:
            return None
        if after == current:
            return []
        rows = await client.xrange(stream_key("buf", day, current_epoch, symbol), min=f"{after + 1}-1")
        entries = [_entry(row, current_epoch) for row in rows]
        if not entries or entries[0].seq != after + 1:
            return None
        return entries

    async def epoch(self) -> str | None:
        client = self.async_client()
        day = await self._day(client)
        if day is None:
            return None
        found: str | None = await client.hget(stream_key("seq", day), "_epoch")
        return found

    async def touch(self, symbols: Iterable[str]) -> None:
        mapping = dict.fromkeys(symbols, clock.timestamp())
        if mapping:
            await self.async_client().zadd(stream_key("wanted"), mapping)

    async def report(self, process_id: str, stats: ProcessStats, ttl: float) -> None:
        client = self.async_client()
        pipe = client.pipeline(transaction=False)
        key = stream_key("process", process_id)
        pipe.hset(
            key,
            mapping={
                "connections": stats.connections,
                "subscriptions": stats.subscriptions,
                "messages_sent": stats.messages_sent,
                "started_at": stats.started_at,
            },
        )
        pipe.expire(key, max(1, int(ttl)))
        pipe.zadd(stream_key("processes"), {process_id: clock.timestamp() + ttl})
        await pipe.execute()

    async def gather(self) -> list[ProcessStats]:
        client = self.async_client()
        registry = stream_key("processes")
        await client.zremrangebyscore(registry, "-inf", clock.timestamp())
        ids = await client.zrange(registry, 0, -1)
        pipe = client.pipeline(transaction=False)
        for process_id in ids:
            pipe.hgetall(stream_key("process", process_id))
        stats = []
        for row in await pipe.execute():
            if row:
                values = {k: float(v) for k, v in row.items()}
                stats.append(
                    ProcessStats(
                        int(values["connections"]),
                        int(values["subscriptions"]),
                        int(values["messages_sent"]),
                        values["started_at"],
                    )
                )
        return stats


def _entry(row: tuple[str, dict[str, str]], epoch: str) -> Entry:
    entry_id, fields = row
    return Entry(int(entry_id.split("-")[0]), orjson.loads(fields["q"]), epoch)
