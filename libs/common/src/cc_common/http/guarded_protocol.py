"""uvicorn's HTTP protocol with the two guards it lacks (started with ``--http
cc_common.http.guarded_protocol:GuardedHttp``).

- **Slow headers**: a request's line and headers must arrive within
  ``CC_HTTP_HEADER_TIMEOUT_SECONDS`` (default 10) of its first byte, or of the
  connection's opening: a client sending a header line every few seconds held a
  socket for as long as it liked (uvicorn times out idle keep-alive connections only).
  It gets 408 and the connection closes. Bodies are timed by the body-size middleware.
- **Connections per address**: one address holds at most
  ``CC_HTTP_CONNECTIONS_PER_ADDRESS`` (default 256) connections to this process; more
  are closed at once, so one client cannot take every socket.

Behind a proxy every connection comes from the proxy's address: raise the cap there,
or let the proxy enforce both.
"""

from __future__ import annotations

import os
from asyncio import TimerHandle, Transport
from collections import Counter
from typing import ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_PROBLEM = (
    b'{"title":"Request Timeout","status":408,"detail":"The request headers arrived too slowly."}'
)
REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/problem+json\r\n"
    b"connection: close\r\ncontent-length: " + str(len(_PROBLEM)).encode() + b"\r\n\r\n" + _PROBLEM
)


def _setting(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


class GuardedHttp(HttpToolsProtocol):
    header_timeout: ClassVar[float] = _setting("CC_HTTP_HEADER_TIMEOUT_SECONDS", 10)
    per_address: ClassVar[int] = int(_setting("CC_HTTP_CONNECTIONS_PER_ADDRESS", 256))
    _open: ClassVar[Counter[str]] = Counter()

    _address: str | None = None
    _header_timer: TimerHandle | None = None

    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._address = self.client[0] if self.client else "unknown"
        self._open[self._address] += 1
        if self._open[self._address] > self.per_address:
            transport.close()
            return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._address is not None:
            self._open[self._address] -= 1
            if self._open[self._address] <= 0:
                del self._open[self._address]
            self._address = None
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # each request on a kept-alive connection is timed afresh

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.write(REQUEST_TIMEOUT)
            self.transport.close()
