"""Importing ``signing`` does not import aiohttp or httpx; pyHanko's aiohttp classes still
work (constructed, subclassed, type-checked) once something asks for them."""

from __future__ import annotations

import subprocess
import sys

_PROLOGUE = "import sys, signing, signing.sign, signing.validate, signing.__main__\n"


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", _PROLOGUE + code], capture_output=True,
                            text=True, check=True)
    return result.stdout.strip()


def test_import_signing_loads_neither_aiohttp_nor_httpx() -> None:
    out = _run("print(sorted({m.split('.')[0] for m in sys.modules} & {'aiohttp', 'httpx'}))")
    assert out == "[]"


def test_deferred_http_timestamper_is_the_real_class_on_use() -> None:
    out = _run(
        "from pyhanko.sign.timestamps import HTTPTimeStamper\n"
        "from pyhanko.sign.timestamps.api import TimeStamper\n"
        "print('aiohttp' in sys.modules)\n"
        "stamper = HTTPTimeStamper('http://127.0.0.1:9/tsa')\n"
        "from pyhanko.sign.timestamps import aiohttp_client\n"
        "print(type(stamper) is aiohttp_client.HTTPTimeStamper, 'aiohttp' in sys.modules)\n"
        "print(isinstance(stamper, HTTPTimeStamper), isinstance(1, HTTPTimeStamper))\n"
        "class Mine(HTTPTimeStamper):\n"
        "    pass\n"
        "print(issubclass(Mine, aiohttp_client.HTTPTimeStamper), issubclass(Mine, TimeStamper),"
        " issubclass(Mine, HTTPTimeStamper), issubclass(int, HTTPTimeStamper))\n"
        "print(HTTPTimeStamper.__name__, aiohttp_client.AIOHttpTimeStamper.__name__)\n"
    )
    assert out.splitlines() == [
        "False",
        "True True",
        "True False",
        "True True True False",
        "HTTPTimeStamper AIOHttpTimeStamper",
    ]


def test_deferred_fetcher_backend_and_module_attributes() -> None:
    out = _run(
        "from pyhanko.sign.validation import ades\n"
        "from pyhanko_certvalidator.fetchers import _default_fetcher_backend\n"
        "from pyhanko_certvalidator.fetchers import aiohttp_fetchers as mod\n"
        "print('aiohttp' in sys.modules)\n"
        "backend = ades.AIOHttpFetcherBackend(per_request_timeout=3)\n"
        "print(type(backend).__module__, backend.per_request_timeout, 'aiohttp' in sys.modules)\n"
        "print(type(_default_fetcher_backend()) is mod.AIOHttpFetcherBackend)\n"
        "print(mod.LazySession.__name__)\n"
    )
    assert out.splitlines() == [
        "False",
        "pyhanko_certvalidator.fetchers.aiohttp_fetchers 3 True",
        "True",
        "LazySession",
    ]


def test_nothing_deferred_when_pyhanko_was_imported_first() -> None:
    result = subprocess.run(
        [sys.executable, "-c",
         "import sys, pyhanko.sign; import signing\n"
         "from pyhanko.sign.timestamps import HTTPTimeStamper\n"
         "print('aiohttp' in sys.modules, isinstance(HTTPTimeStamper, type))"],
        capture_output=True, text=True, check=True,
    )
    assert result.stdout.strip() == "True True"
