"""The tick recorder: accepted ticks reach the Parquet archive by the background writer, with manifests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from marketdata import recorded
from streaming.recorder import get_recorder, recorder_close
from streaming.services.ticks import ticks_ingest

pytestmark = [pytest.mark.usefixtures("stream", "instruments")]


@pytest.fixture
def archive(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """The recorder on, writing under a directory of this test, flushing every 0.2 s."""
    recorder_close()
    settings.ARGUS_RECORDER_ENABLED = True
    settings.ARGUS_RECORDER_DIR = str(tmp_path / "archive")
    settings.ARGUS_RECORDER_FLUSH_SECONDS = 0.2
    settings.ARGUS_RECORDER_RETENTION_DAYS = 100_000  # the test days are years old
    yield tmp_path / "archive"
    recorder_close()


def test_accepted_ticks_are_recorded_with_seq_epoch_and_provenance(archive: Path, make_tick: Any) -> None:
    first = ticks_ingest([make_tick("000001.SZ", 0), make_tick("000001.SZ", 1), make_tick("000001.SZ", 1)])
    ticks_ingest([make_tick("000002.SZ", 0), make_tick("000001.SZ", 2)])
    recorder_close()  # a clean shutdown flushes everything
    rows = recorded.read_ticks("2024-01-15", "000001.SZ", root=archive)
    assert [r["seq"] for r in rows] == [1, 2, 3]  # the unchanged third tick was not accepted
    assert [r["price"] for r in rows] == [10.0, 10.01, 10.02]
    assert {r["epoch"] for r in rows} == {first.epoch}
    assert rows[0]["name"] == "平安银行" and rows[0]["timestamp"] == "2024-01-15T01:30:00.000Z"
    assert rows[0]["status"] == "trading" and rows[0]["simulated"] is not None and rows[0]["source"]
    assert [r["seq"] for r in recorded.read_ticks("2024-01-15", "000002.SZ", root=archive)] == [1]
    (manifest,) = recorded.manifests("2024-01-15", root=archive)
    assert manifest["closed"] is True and manifest["rows"] == 4
    assert manifest["symbols"]["000001.SZ"]["last_seq"] == 3
    assert manifest["symbols"]["000001.SZ"]["last_timestamp"] == "2024-01-15T01:30:06.000Z"
    assert manifest["recorded_through"].startswith("2024-01-15T09:30:06")
    assert manifest["fed_minutes"] == [0]


def test_the_ingest_writes_no_file_and_the_writer_flushes_within_its_interval(
    archive: Path, make_tick: Any, settings: Any
) -> None:
    settings.ARGUS_RECORDER_FLUSH_SECONDS = 0.5
    recorder_close()
    ticks_ingest([make_tick("000001.SZ", step) for step in range(5)])
    assert not list(archive.rglob("*.parquet"))  # nothing on disk from the ingest itself
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not recorded.manifests("2024-01-15", root=archive):
        time.sleep(0.05)
    (manifest,) = recorded.manifests("2024-01-15", root=archive)
    assert manifest["closed"] is False and manifest["symbols"]["000001.SZ"]["last_seq"] == 5
    assert len(recorded.read_ticks("2024-01-15", "000001.SZ", root=archive)) == 5


def test_manifests_are_replaced_atomically_and_two_writers_never_collide(archive: Path, make_tick: Any) -> None:
    ticks_ingest([make_tick("000001.SZ", 0)])
    recorder_close()
    ticks_ingest([make_tick("000001.SZ", 1)])  # a new writer (a restarted process) beside the first
    recorder_close()
    assert [r["seq"] for r in recorded.read_ticks(date(2024, 1, 15), "000001.SZ", root=archive)] == [1, 2]
    writers = recorded.manifests("2024-01-15", root=archive)
    assert len({m["writer"] for m in writers}) == 2
    folder = archive / "2024-01-15" / recorded.MANIFEST_DIR
    assert not list(folder.glob(".*.tmp"))
    for path in folder.glob("*.json"):
        assert orjson.loads(path.read_bytes())["trading_day"] == "2024-01-15"


def test_off_records_nothing(settings: Any, tmp_path: Path, make_tick: Any) -> None:
    recorder_close()
    settings.ARGUS_RECORDER_ENABLED = False
    settings.ARGUS_RECORDER_DIR = str(tmp_path / "off")
    ticks_ingest([make_tick("000001.SZ", 0)])
    assert get_recorder() is None
    assert not (tmp_path / "off").exists()


def test_retention_deletes_old_days_then_the_oldest_over_the_disk_bound(tmp_path: Path) -> None:
    for day in ("2024-01-02", "2024-01-10", "2024-01-11", "2024-01-12"):
        folder = tmp_path / day / "000001.SZ"
        folder.mkdir(parents=True)
        (folder / "w-000001.parquet").write_bytes(b"x" * 1000)
    removed = recorded.prune(tmp_path, keep_days=7, max_bytes=10_000, today="2024-01-12")
    assert removed == ["2024-01-02"]
    removed = recorded.prune(tmp_path, keep_days=7, max_bytes=1500, today="2024-01-12")
    assert removed == ["2024-01-10", "2024-01-11"]  # today is kept even over the bound
    assert recorded.recorded_days(tmp_path) == ["2024-01-12"]


def test_flushes_write_one_segment_and_compaction_one_file_per_symbol(archive: Path, make_tick: Any) -> None:
    recorder = get_recorder()
    assert recorder is not None
    for step in range(3):
        ticks_ingest([make_tick("000001.SZ", step), make_tick("000002.SZ", step)])
        recorder.flush()  # one segment per flush, both symbols in it
    day = archive / "2024-01-15"
    assert len(list((day / recorded.SEGMENT_DIR).glob("*.parquet"))) == 3
    assert not (day / "000001.SZ").exists()
    assert [r["seq"] for r in recorded.read_ticks("2024-01-15", "000001.SZ", root=archive)] == [1, 2, 3]
    assert recorded.iter_symbols("2024-01-15", root=archive) == ["000001.SZ", "000002.SZ"]
    recorder_close()  # compacts
    assert not list((day / recorded.SEGMENT_DIR).glob("*.parquet"))
    assert len(list((day / "000001.SZ").glob("*.parquet"))) == 1
    assert [r["seq"] for r in recorded.read_ticks("2024-01-15", "000002.SZ", root=archive)] == [1, 2, 3]


def test_a_crash_mid_compaction_shows_every_tick_once(archive: Path, make_tick: Any) -> None:
    import shutil

    recorder = get_recorder()
    assert recorder is not None
    ticks_ingest([make_tick("000001.SZ", step) for step in range(3)])
    recorder.flush()
    day = archive / "2024-01-15"
    kept = archive.parent / "kept"
    shutil.copytree(day / recorded.SEGMENT_DIR, kept)
    recorder_close()
    shutil.copytree(kept, day / recorded.SEGMENT_DIR, dirs_exist_ok=True)  # as if deleting them never happened
    assert [r["seq"] for r in recorded.read_ticks("2024-01-15", "000001.SZ", root=archive)] == [1, 2, 3]


def test_the_bulk_columns_equal_what_was_pushed(archive: Path, make_tick: Any) -> None:
    """The writer parses the ingest's serialised pushes in bulk: each recorded row is the push itself
    (nulls, a simulated_time, a status, the ts float) plus the stream's fields."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from marketdata.sources.base import TickStatus

    replayed = replace(make_tick("000001.SZ", 0), simulated_time=datetime(2023, 6, 1, 1, 30, 1, 5000, tzinfo=UTC))
    suspended = make_tick("000002.SZ", 0, status=TickStatus.SUSPENDED)
    no_change = replace(make_tick("000003.SZ", 0), prev_close=None, turnover=None)
    result = ticks_ingest([replayed, suspended, no_change])
    recorder_close()
    found = recorded.read_many("2024-01-15", ["000001.SZ", "000002.SZ", "000003.SZ"], root=archive)
    one, two, three = (found[s][0] for s in ("000001.SZ", "000002.SZ", "000003.SZ"))
    assert one["simulated_time"] == "2023-06-01T01:30:01.005Z" and one["timestamp"] == "2023-06-01T01:30:01.005Z"
    assert one["ts"] == datetime(2023, 6, 1, 1, 30, 1, 5000, tzinfo=UTC).timestamp()
    assert (one["seq"], one["epoch"], one["status"]) == (1, result.epoch, "trading")
    assert two["status"] == "suspended" and two["simulated_time"] is None
    assert three["turnover"] is None and three["prev_close"] is None and three["change"] is None
    assert three["volume"] == 1000 and three["price"] == 10.0 and isinstance(three["recorded_at"], float)
    assert {row["source"] for row in (one, two, three)} == {one["source"]} and one["source"]
