"""The broker of `make run` (core.broker): a worker never reads a message being written."""

import json
import os
import threading
from contextlib import contextmanager

import pytest
from kombu import Connection
from kombu.transport import filesystem

from core import broker

PAYLOAD = {"task": "core.tasks.worker_heartbeat", "padding": "x" * 20_000}


def _options(folder) -> dict:
    for name in ("queue", "processed"):
        (folder / name).mkdir(exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
    }


def test_a_message_appears_in_the_queue_only_once_it_is_whole(tmp_path, monkeypatch):
    seen = []
    replace = os.replace

    def checked_replace(source, target):
        # At the moment the message gets its queue name, its content is complete JSON.
        seen.append((os.path.basename(source), os.path.getsize(source)))
        assert not os.path.exists(target)
        replace(source, target)

    monkeypatch.setattr(broker.os, "replace", checked_replace)
    with Connection(
        "filesystem://", transport=broker.Transport, transport_options=_options(tmp_path)
    ) as conn:
        queue = conn.SimpleQueue("tasks")
        queue.put({"task": "core.tasks.worker_heartbeat", "n": 1})
        message = queue.get(timeout=1)
        message.ack()
        assert message.payload == {"task": "core.tasks.worker_heartbeat", "n": 1}
        queue.close()
    [(name, size)] = seen
    assert name.endswith(".tasks.msg.part") and size > 0


# Many messages under a live poll; the moment of a half-written one is forced further down.
def test_a_worker_polling_while_messages_are_written_reads_every_one(tmp_path):
    options = _options(tmp_path)
    count = 300
    received, errors = [], []

    def consume():
        with Connection(
            "filesystem://", transport=broker.Transport, transport_options=options
        ) as conn:
            queue = conn.SimpleQueue("tasks")
            try:
                while len(received) < count:
                    message = queue.get(timeout=10)
                    message.ack()
                    received.append(message.payload["n"])
            except Exception as error:  # an empty or partial file would land here
                errors.append(error)
            queue.close()

    reader = threading.Thread(target=consume)
    reader.start()
    with Connection("filesystem://", transport=broker.Transport, transport_options=options) as conn:
        queue = conn.SimpleQueue("tasks")
        for n in range(count):
            queue.put({"n": n, "padding": "x" * 20_000})
        queue.close()
    reader.join(30)
    assert not errors
    assert sorted(received) == list(range(count))


@contextmanager
def _writer_paused_halfway(monkeypatch, module, transport, options):
    """Put PAYLOAD from a thread whose write into the message file stops after half the bytes
    (flushed to disk) until the block exits: the moment a polling worker must not see. Yields
    the sizes of the message and of its half on disk."""
    halfway, resume = threading.Event(), threading.Event()
    sizes, errors = {}, []
    real_open = open

    class PausedFile:
        def __init__(self, handle):
            self._handle = handle

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._handle.close()

        def write(self, data):
            half = sizes["half"] = len(data) // 2
            sizes["whole"] = len(data)
            self._handle.write(data[:half])
            self._handle.flush()
            halfway.set()
            resume.wait(10)
            self._handle.write(data[half:])
            return len(data)

    def paused_open(file, mode="r", *args, **kwargs):
        handle = real_open(file, mode, *args, **kwargs)
        return PausedFile(handle) if ".msg" in str(file) and "w" in mode else handle

    def put():
        try:
            with Connection("filesystem://", transport=transport, transport_options=options) as c:
                queue = c.SimpleQueue("tasks")
                queue.put(PAYLOAD)
                queue.close()
        except Exception as error:
            errors.append(error)

    monkeypatch.setattr(module, "open", paused_open, raising=False)
    writer = threading.Thread(target=put, daemon=True)
    writer.start()
    try:
        assert halfway.wait(10), "the writer never started the message file"
        yield sizes
    finally:
        resume.set()
        writer.join(10)
    assert not writer.is_alive()
    assert not errors


def _queue_files(options) -> list[tuple[str, int]]:
    folder = options["data_folder_in"]
    return [(name, os.path.getsize(os.path.join(folder, name))) for name in os.listdir(folder)]


def test_a_worker_polling_while_a_message_is_half_written_never_takes_it(tmp_path, monkeypatch):
    options = _options(tmp_path)
    with Connection("filesystem://", transport=broker.Transport, transport_options=options) as conn:
        queue = conn.SimpleQueue("tasks")
        with _writer_paused_halfway(monkeypatch, broker, broker.Transport, options) as sizes:
            # The half-written message is on disk, under a name the worker skips.
            [(name, size)] = _queue_files(options)
            assert name.endswith(".tasks.msg.part")
            assert 0 < size == sizes["half"] < sizes["whole"]
            for _ in range(20):
                with pytest.raises(queue.Empty):
                    queue.get(block=False)
            assert _queue_files(options) == [(name, size)]
        message = queue.get(timeout=5)
        message.ack()
        assert message.payload == PAYLOAD
        queue.close()


def test_stock_kombu_lets_a_polling_worker_take_a_half_written_message(tmp_path, monkeypatch):
    """The control: the race core.broker exists for, made certain by the same pause."""
    options = _options(tmp_path)
    with Connection(
        "filesystem://", transport=filesystem.Transport, transport_options=options
    ) as conn:
        queue = conn.SimpleQueue("tasks")
        with _writer_paused_halfway(
            monkeypatch, filesystem, filesystem.Transport, options
        ) as sizes:
            [(name, size)] = _queue_files(options)
            assert name.endswith(".tasks.msg")
            assert 0 < size == sizes["half"] < sizes["whole"]
            # The worker takes it and dies on the JSON of half a message.
            with pytest.raises(json.JSONDecodeError):
                queue.get(block=False)
            assert _queue_files(options) == []
        queue.close()
