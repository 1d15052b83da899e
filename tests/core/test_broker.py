"""The broker of `make run` (core.broker): a worker never reads a message being written."""

import os
import threading

from kombu import Connection

from core import broker


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
