"""A real SMTP server for tests (aiosmtpd) that keeps what it receives."""

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        """The text/plain body (or the only body), decoded."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    def html(self) -> str | None:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None


class _Handler:
    def __init__(self, sink: "SmtpSink"):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        return self.sink._receive(envelope)


class SmtpSink:
    """Start once per session; tests read `messages`, `wait_for(n)`, or make it refuse mail."""

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        self.port = _free_port(host)
        self._received: list[ReceivedMail] = []
        self._cond = threading.Condition()
        # When set (e.g. "451 4.3.0 Try again later"), every message is refused with it.
        self.refuse_with: str | None = None
        self._controller = Controller(_Handler(self), hostname=host, port=self.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def _receive(self, envelope) -> str:
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._cond:
            self._received.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message)
            )
            self._cond.notify_all()
        return "250 OK"

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._cond:
            return list(self._received)

    def clear(self) -> None:
        with self._cond:
            self._received.clear()
        self.refuse_with = None

    def wait_for(self, count: int = 1, timeout: float = 15.0) -> list[ReceivedMail]:
        """Block until at least `count` messages arrived; fail the test after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self._received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} message(s), got {len(self._received)} in {timeout}s"
                    )
                self._cond.wait(remaining)
            return list(self._received)


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
