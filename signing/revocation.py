"""Where revocation data (CRL, OCSP) and missing CA certificates come from.

A :class:`RevocationSource` is a strategy handed to signing (B-LT needs OCSP/CRL
answers to embed) and to validation:

* :class:`EmbeddedOnly` — never fetch; use what the PDF carries (its DSS, the CMS);
* :class:`InProcessFetching` — "fetch" by calling a Python function with the URL found
  in a certificate (the development PKI's :meth:`signing.pki.DevPKI.route`), so tests and
  the all-in-one server never make HTTP requests to themselves;
* :class:`HttpFetching` — real HTTP fetching (``httpx``) with a bounded timeout.

The in-process fetchers implement pyhanko-certvalidator's fetcher interfaces, so every
check pyHanko makes on fetched data (nonces, signatures, freshness) still applies.

Signing refuses revoked keys, and B-LT embeds the OCSP/CRL answers of every certificate
of the document; each costs a full path validation with fetching (tens of milliseconds).
A *successful* check is remembered per process for :data:`CHECK_TTL` seconds, per
(certificate, trust roots, revocation source, purpose), with its path and the answers
it rests on (:class:`CheckedPath`), which B-LT then embeds as they are — the dev PKI's
OCSP answers are valid for 12 hours, and CRLs fetched within the TTL are shared the same
way. :meth:`signing.pki.DevPKI.revoke` clears the memory (:func:`forget_checks`), so a
revocation made in this process takes effect at once; one made in another process takes
effect within :data:`CHECK_TTL`. Failed checks are never remembered, and validation
(:func:`signing.validate_pdf`) never uses this memory.

Decision on the window (:data:`CHECK_TTL` = 30 s, per process). A remembered check can
let a key revoked elsewhere sign for at most 30 s more. That is kept because the
revocation data itself is far coarser: a CA's OCSP answers are valid for hours (the dev
PKI's for 12 h; responders may serve cached answers for that long) and CRLs are issued
daily, so a revocation already takes minutes to hours to become visible to any signer;
30 s adds nothing measurable to that delay, while a long-lived worker signing a batch
checks each certificate once instead of at every signature (a fresh check is a path
validation plus an OCSP round trip to the CA: ~20 ms in process, a network round trip
in production). What is embedded stays honest: the answers embedded are the ones the
check rested on, no older than 30 s at signing, each within its own validity period.
Revocations made through :meth:`signing.pki.DevPKI.revoke` in this process take effect
at once. Deployments that want no window set ``signing.revocation.CHECK_TTL = 0``
(read at every check) — every signature then checks afresh.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import AsyncGenerator, Callable, Hashable, Iterable
from dataclasses import dataclass, field

from asn1crypto import cms, crl, ocsp, pem, x509
from pyhanko_certvalidator import errors as cv_errors
from pyhanko_certvalidator.authority import Authority
from pyhanko_certvalidator.fetchers.api import (
    CertificateFetcher,
    CRLFetcher,
    FetcherBackend,
    Fetchers,
    OCSPFetcher,
)
from pyhanko_certvalidator.fetchers.common_utils import (
    enumerate_delivery_point_urls,
    format_ocsp_request,
    gather_aia_issuer_urls,
    process_ocsp_response_data,
)
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.util import get_ocsp_urls, get_relevant_crl_dps, issuer_serial

#: ``route(url, body)`` → response bytes, or ``None`` when the URL is not served.
#: ``body`` is ``None`` for a GET (CRL, certificate) and the request for a POST (OCSP).
Router = Callable[[str, bytes | None], bytes | None]


class RevocationSource(abc.ABC):
    """Strategy deciding whether and how validation data is fetched."""

    @abc.abstractmethod
    def fetcher_backend(self) -> FetcherBackend | None:
        """The backend to fetch with, or ``None`` to use embedded data only."""


@dataclass(frozen=True)
class EmbeddedOnly(RevocationSource):
    """Use only the validation data embedded in the document; never fetch."""

    def fetcher_backend(self) -> FetcherBackend | None:
        """No fetching."""
        return None


@dataclass(frozen=True)
class HttpFetching(RevocationSource):
    """Fetch CRLs, OCSP answers and issuer certificates over HTTP."""

    timeout: float = 10.0
    """Per-request timeout in seconds."""

    def fetcher_backend(self) -> FetcherBackend | None:
        """A backend fetching over HTTP(S) with ``httpx`` and the configured timeout."""
        return _RouterBackend(self.fetch)

    def fetch(self, url: str, body: bytes | None) -> bytes | None:
        """GET (CRL, certificate) or POST (OCSP request) ``url``; ``None`` on failure."""
        if not url.lower().startswith(("http://", "https://")):
            return None
        import httpx  # lazily: ~9 MiB (with its CLI's click/pygments) for in-process use

        try:
            if body is None:
                response = httpx.get(url, timeout=self.timeout, follow_redirects=True)
            else:
                response = httpx.post(
                    url,
                    content=body,
                    timeout=self.timeout,
                    headers={"Content-Type": "application/ocsp-request"},
                )
        except httpx.HTTPError:
            return None
        return response.content if response.status_code == 200 else None


@dataclass(frozen=True)
class InProcessFetching(RevocationSource):
    """Fetch by calling ``route`` with each URL instead of making HTTP requests."""

    route: Router = field(compare=False)
    """The function answering URLs, e.g. :meth:`signing.pki.DevPKI.route`."""

    def fetcher_backend(self) -> FetcherBackend | None:
        """A backend whose fetchers call :attr:`route`."""
        return _RouterBackend(self.route)


#: Seconds during which a successful signing-time revocation check is re-used.
CHECK_TTL = 30.0
_CHECKS_MAX = 1024
_checked: dict[Hashable, tuple[float, CheckedPath]] = {}
_crl_bytes: dict[tuple[Router, str], tuple[float, bytes]] = {}
_checked_lock = threading.Lock()


@dataclass(frozen=True)
class CheckedPath:
    """A certificate's validated path and the revocation answers it was checked with."""

    path: ValidationPath
    ocsps: tuple[ocsp.OCSPResponse, ...]
    crls: tuple[crl.CertificateList, ...]


def check_key(
    source: RevocationSource, cert_sha256: bytes, roots: Iterable[bytes], purpose: str
) -> Hashable:
    """The memory key of a check: certificate, trust roots, revocation source, purpose."""
    route = getattr(source, "route", None)
    # InProcessFetching compares equal whatever its route: tell routes apart explicitly
    origin = (type(source), route) if route is not None else (type(source), source)
    return (cert_sha256, tuple(roots), origin, purpose)


def recently_checked(key: Hashable) -> CheckedPath | None:
    """The result of the check ``key`` if it succeeded less than :data:`CHECK_TTL` ago."""
    with _checked_lock:
        entry = _checked.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del _checked[key]
            return None
        return entry[1]


def note_checked(key: Hashable, checked: CheckedPath) -> None:
    """Remember that the check ``key`` succeeded just now, with its path and answers."""
    with _checked_lock:
        if len(_checked) >= _CHECKS_MAX:
            _checked.clear()
        _checked[key] = (time.monotonic() + CHECK_TTL, checked)


def forget_checks() -> None:
    """Forget every remembered check and CRL (called when a certificate is revoked)."""
    with _checked_lock:
        _checked.clear()
        _crl_bytes.clear()


def _fetch_crl(route: Router, url: str) -> bytes | None:
    """``route(url)`` for a CRL, shared for :data:`CHECK_TTL` seconds per process."""
    now = time.monotonic()
    with _checked_lock:
        entry = _crl_bytes.get((route, url))
        if entry is not None and entry[0] > now:
            return entry[1]
    data = route(url, None)
    if data is not None:
        with _checked_lock:
            if len(_crl_bytes) >= _CHECKS_MAX:
                _crl_bytes.clear()
            _crl_bytes[(route, url)] = (now + CHECK_TTL, data)
    return data


class _RouterBackend(FetcherBackend):
    def __init__(self, route: Router) -> None:
        self.route = route

    def get_fetchers(self) -> Fetchers:
        return Fetchers(
            ocsp_fetcher=_RouterOCSPFetcher(self.route),
            crl_fetcher=_RouterCRLFetcher(self.route),
            cert_fetcher=_RouterCertFetcher(self.route),
        )


class _RouterOCSPFetcher(OCSPFetcher):
    def __init__(self, route: Router) -> None:
        self.route = route
        self._results: dict[tuple[bytes, object], ocsp.OCSPResponse] = {}

    async def fetch(
        self, cert: x509.Certificate | cms.AttributeCertificateV2, authority: Authority
    ) -> ocsp.OCSPResponse:
        tag = (issuer_serial(cert), authority.hashable)
        if tag in self._results:
            return self._results[tag]
        if not isinstance(cert, x509.Certificate):
            raise cv_errors.OCSPFetchError("Attribute certificates are not supported")
        request = format_ocsp_request(
            cert, authority, certid_hash_algo="sha256", request_nonces=True
        )
        for url in get_ocsp_urls(cert):
            data = self.route(url, request.dump())
            if data is None:
                continue
            response = process_ocsp_response_data(data, ocsp_request=request, ocsp_url=url)
            self._results[tag] = response
            return response
        raise cv_errors.OCSPFetchError("No OCSP responder answered")

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return list(self._results.values())

    def fetched_responses_for_cert(
        self, cert: x509.Certificate | cms.AttributeCertificateV2
    ) -> Iterable[ocsp.OCSPResponse]:
        target = issuer_serial(cert)
        return [resp for (iss, _), resp in self._results.items() if iss == target]


class _RouterCRLFetcher(CRLFetcher):
    def __init__(self, route: Router) -> None:
        self.route = route
        self._by_cert: dict[bytes, list[crl.CertificateList]] = {}

    async def fetch(
        self, cert: x509.Certificate | cms.AttributeCertificateV2, *, use_deltas: bool = True
    ) -> Iterable[crl.CertificateList]:
        key = issuer_serial(cert)
        if key in self._by_cert:
            return self._by_cert[key]
        results: list[crl.CertificateList] = []
        for point in get_relevant_crl_dps(cert, use_deltas=use_deltas):
            for url in enumerate_delivery_point_urls(point):
                data = _fetch_crl(self.route, url)
                if data is None:
                    continue
                if pem.detect(data):
                    _, _, data = pem.unarmor(data)
                try:
                    results.append(crl.CertificateList.load(data))
                except ValueError as exc:
                    raise cv_errors.CRLFetchError(f"Bad CRL from {url}") from exc
        if not results:
            raise cv_errors.CRLFetchError("No CRL could be fetched")
        self._by_cert[key] = results
        return results

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return [item for items in self._by_cert.values() for item in items]

    def fetched_crls_for_cert(
        self, cert: x509.Certificate | cms.AttributeCertificateV2
    ) -> Iterable[crl.CertificateList]:
        return self._by_cert[issuer_serial(cert)]


class _RouterCertFetcher(CertificateFetcher):
    def __init__(self, route: Router) -> None:
        self.route = route
        self._certs: dict[bytes, x509.Certificate] = {}

    async def _fetch_urls(self, urls: Iterable[str]) -> AsyncGenerator[x509.Certificate, None]:
        for url in urls:
            data = self.route(url, None)
            if data is None:
                continue
            if pem.detect(data):
                _, _, data = pem.unarmor(data)
            try:
                cert = x509.Certificate.load(data)
                cert.native  # noqa: B018 — parse fully, garbage must fail here
            except ValueError as exc:
                raise cv_errors.CertificateFetchError(f"Bad certificate from {url}") from exc
            self._certs[cert.sha256] = cert
            yield cert

    def fetch_cert_issuers(
        self, cert: x509.Certificate | cms.AttributeCertificateV2
    ) -> AsyncGenerator[x509.Certificate, None]:
        return self._fetch_urls(list(gather_aia_issuer_urls(cert)))

    def fetch_crl_issuers(self, certificate_list: crl.CertificateList) -> AsyncGenerator[
        x509.Certificate, None
    ]:
        urls = list(certificate_list.issuer_cert_urls)
        return self._fetch_urls(urls)

    def fetched_certs(self) -> Iterable[x509.Certificate]:
        return list(self._certs.values())
