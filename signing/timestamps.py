"""Where RFC 3161 time-stamps come from (B-T and above, document time-stamps for B-LTA).

A :class:`TimestampSource` is a strategy: :class:`HttpTsa` talks to a TSA URL with a
bounded timeout; :class:`InProcessTsa` wraps any pyHanko ``TimeStamper`` living in this
process — the development PKI's (:meth:`signing.pki.DevPKI.timestamper`), so that tests
and the all-in-one server do not call themselves over HTTP.
"""

from __future__ import annotations

import abc
import asyncio
from dataclasses import dataclass, field

from asn1crypto import tsp
from pyhanko.sign.timestamps import TimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError


class TimestampSource(abc.ABC):
    """Strategy producing the pyHanko ``TimeStamper`` used for one signing operation."""

    @abc.abstractmethod
    def timestamper(self) -> TimeStamper:
        """The time-stamper to use."""

    @abc.abstractmethod
    def describe(self) -> str:
        """A short description for error messages."""


@dataclass(frozen=True)
class HttpTsa(TimestampSource):
    """An RFC 3161 time-stamp authority reached over HTTP(S)."""

    url: str
    """The TSA endpoint (e.g. ``http://127.0.0.1:5000/pki/tsa``)."""

    timeout: float = 5.0
    """Connect and read timeout in seconds; a TSA that is down fails within it."""

    def timestamper(self) -> TimeStamper:
        """An ``httpx``-based time-stamper with the configured timeout."""
        return _HttpxTimeStamper(self.url, self.timeout)

    def describe(self) -> str:
        """The URL."""
        return self.url


@dataclass(frozen=True)
class InProcessTsa(TimestampSource):
    """A time-stamper object living in this process (e.g. the dev PKI's TSA)."""

    stamper: TimeStamper = field(compare=False)
    """The pyHanko time-stamper to call."""

    def timestamper(self) -> TimeStamper:
        """The wrapped time-stamper."""
        return self.stamper

    def describe(self) -> str:
        """A fixed description."""
        return "in-process TSA"


class _HttpxTimeStamper(TimeStamper):
    """RFC 3161 over HTTP with ``httpx``; every failure is a ``TimestampRequestError``."""

    def __init__(self, url: str, timeout: float) -> None:
        super().__init__()
        self.url = url
        self.timeout = timeout

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        def post() -> bytes:
            import httpx  # lazily: a worker that never talks HTTP does not pay for it

            try:
                response = httpx.post(
                    self.url,
                    content=req.dump(),
                    headers={"Content-Type": "application/timestamp-query"},
                    timeout=httpx.Timeout(self.timeout),
                )
            except httpx.HTTPError as exc:
                raise TimestampRequestError(f"TSA {self.url} unreachable: {exc}") from exc
            if response.status_code != 200:
                raise TimestampRequestError(f"TSA {self.url} answered {response.status_code}")
            return response.content

        try:
            data = await asyncio.wait_for(asyncio.to_thread(post), timeout=self.timeout * 2 + 1)
        except TimeoutError as exc:
            raise TimestampRequestError(f"TSA {self.url} timed out") from exc
        try:
            return tsp.TimeStampResp.load(data)
        except ValueError as exc:
            raise TimestampRequestError("Malformed time-stamp response") from exc
