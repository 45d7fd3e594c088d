"""The hub's retry loops end when cancelled, even when a library turns the cancellation into an error."""

from __future__ import annotations

import asyncio

from streaming.hub import _raise_if_cancelled


async def test_a_retry_loop_honours_a_cancellation_turned_into_an_error() -> None:
    attempts = 0

    async def retry_forever() -> None:
        nonlocal attempts
        while True:
            try:
                try:
                    await asyncio.sleep(10)  # a pending connect
                except asyncio.CancelledError:
                    raise ConnectionError("Connection closed by server.") from None  # as redis-py can
            except Exception:
                attempts += 1
                _raise_if_cancelled()
            await asyncio.sleep(0.01)

    task = asyncio.create_task(retry_forever())
    await asyncio.sleep(0.05)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled()
    assert attempts == 1
