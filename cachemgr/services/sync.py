"""Across processes: each publishes its counters to Redis, and clear/optimize/rule changes reach every one.

With Redis, one daemon thread per process publishes this process's counters every
ARGUS_CACHE_SYNC_INTERVAL (the key expires if the process dies), watches the rules version key,
and answers control messages on a pub/sub channel. A broadcast waits for as many replies as
Redis says received it. Without Redis (the embedded default, one process) the same operations
run in-process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from typing import Any

import orjson
from django.conf import settings

from cachemgr import keys
from cachemgr.services import state
from cachemgr.services.backends import _redis, outage
from cachemgr.services.rules import rulebook

logger = logging.getLogger("argus.cache")

# How long a broadcast waits for the other processes' replies.
REPLY_TIMEOUT = 3.0

_pid: int | None = None
_generation = 0  # a sync thread runs while the generation it was started in is current
process_id = ""
_rules_version: bytes | None = None


def ensure_started() -> None:
    """Start this process's sync thread once (again in a forked child, with its own empty L1)."""
    global _pid, _generation, process_id
    if _pid == os.getpid():
        return
    if _pid is not None:
        state.process_reset()
    _pid = os.getpid()
    _generation += 1
    process_id = f"{socket.gethostname()}:{_pid}:{uuid.uuid4().hex[:6]}"
    if settings.USE_REDIS:
        threading.Thread(target=_run, args=(_generation,), name="argus-cache-sync", daemon=True).start()


def stop() -> None:
    """Stop this process's sync thread (it is started again by the next cache call)."""
    global _pid, _generation
    _pid = None
    _generation += 1


def _publish(client: Any) -> None:
    global _rules_version
    ttl = max(5, int(settings.ARGUS_CACHE_SYNC_INTERVAL * 5))
    client.set(keys.cache_process_key(process_id), orjson.dumps(state.process_snapshot()), ex=ttl)
    version = client.get(keys.cache_rules_version_key())
    if version != _rules_version:
        _rules_version = version
        rulebook.mark_stale()


def _answer(client: Any, raw: bytes) -> None:
    message = orjson.loads(raw)
    result = state.LOCAL_OPS[message["op"]](message.get("args", {}))
    reply = keys.cache_reply_key(message["id"])
    client.rpush(reply, orjson.dumps({"process": process_id, **result}))
    client.expire(reply, 60)


def _run(generation: int) -> None:
    interval = settings.ARGUS_CACHE_SYNC_INTERVAL
    while _generation == generation:
        pubsub = None
        try:
            client = _redis()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(keys.cache_control_channel())
            next_publish = 0.0
            while _generation == generation:
                message = pubsub.get_message(timeout=min(interval, 0.5))
                if message is not None and message["type"] == "message":
                    _answer(client, message["data"])
                if time.monotonic() >= next_publish:
                    _publish(client)
                    outage.succeeded()
                    next_publish = time.monotonic() + interval
        except Exception as exc:
            if _generation == generation:
                outage.failed(exc)
                time.sleep(settings.ARGUS_CACHE_L2_RETRY)
        finally:
            if pubsub is not None:
                with contextlib.suppress(Exception):
                    pubsub.close()


def publish_now() -> None:
    """Publish this process's counters immediately (so a stats answer includes its latest figures)."""
    if settings.USE_REDIS and outage.usable():
        try:
            _publish(_redis())
        except Exception as exc:
            outage.failed(exc)


def process_snapshots() -> tuple[list[dict[str, Any]], bool]:
    """Every live process's counters (this one's live); False when others could not be read."""
    own = state.process_snapshot()
    if not settings.USE_REDIS:
        return [own], True
    if not outage.usable():
        return [own], False
    try:
        client = _redis()
        names = list(client.scan_iter(match=keys.cache_process_pattern(), count=500))
        own_key = keys.cache_process_key(process_id).encode()
        values = client.mget([n for n in names if n != own_key]) if names else []
    except Exception as exc:
        outage.failed(exc)
        return [own], False
    outage.succeeded()
    return [own, *(orjson.loads(v) for v in values if v)], True


def broadcast(op: str, args: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """Apply a local op in every process; (their results, whether every receiver answered)."""
    ensure_started()
    if not settings.USE_REDIS:
        return [state.LOCAL_OPS[op](args)], True
    request_id = uuid.uuid4().hex
    try:
        client = _redis()
        message = orjson.dumps({"op": op, "args": args, "id": request_id})
        receivers = client.publish(keys.cache_control_channel(), message)
        replies = _collect(client, keys.cache_reply_key(request_id), receivers)
    except Exception as exc:
        outage.failed(exc)
        return [state.LOCAL_OPS[op](args)], False
    answered = {r["process"] for r in replies}
    if process_id not in answered:
        # This process's thread was not subscribed yet (just started, or Redis blipped): apply here.
        replies.append({"process": process_id, **state.LOCAL_OPS[op](args)})
        receivers += 1
    complete = len(replies) >= receivers
    if not complete:
        logger.warning("cache %s: %d of %d processes answered in %.0f s", op, len(replies), receivers, REPLY_TIMEOUT)
    return replies, complete


def _collect(client: Any, reply_key: str, expected: int) -> list[dict[str, Any]]:
    replies: list[dict[str, Any]] = []
    deadline = time.monotonic() + REPLY_TIMEOUT
    while len(replies) < expected and time.monotonic() < deadline:
        item = client.blpop([reply_key], timeout=0.5)
        if item is not None:
            replies.append(orjson.loads(item[1]))
    client.delete(reply_key)
    return replies


def rules_changed() -> None:
    """Make every process reload its rules (this one now, the others within a sync interval)."""
    rulebook.mark_stale()
    if settings.USE_REDIS:
        try:
            _redis().incr(keys.cache_rules_version_key())
        except Exception as exc:
            outage.failed(exc)
