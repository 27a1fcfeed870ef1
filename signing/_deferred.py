"""Deferred loading of pyHanko's ``aiohttp`` modules, which this library never uses.

``import pyhanko.sign`` imports ``aiohttp`` unconditionally, through two modules:
``pyhanko.sign.timestamps`` re-exports ``HTTPTimeStamper`` from ``.aiohttp_client``, and
``pyhanko.sign.validation.ades`` imports ``AIOHttpFetcherBackend`` from
``pyhanko_certvalidator.fetchers.aiohttp_fetchers`` (for a default it only builds when no
fetcher backend is given). ``aiohttp`` and its dependencies cost ~11 MiB of resident
memory and ~0.4 s of start-up in every process that signs or validates, although this
library fetches with its own fetchers (:mod:`signing.revocation`) and time-stamps with
``httpx`` (:mod:`signing.timestamps`).

:func:`install` puts a meta-path finder in front of the import system for exactly those
two modules. The module object it creates is the real one (same name, file and package
path; submodules import normally) whose body has not run yet; each name other modules
import from it at import time is bound to a :class:`_DeferredName` proxy, and the first
real use — calling the proxy, subclassing it, ``isinstance``/``issubclass`` against it,
reading any attribute, or reading any other name of the module — runs the module's own
code in that module object (importing ``aiohttp`` then) and forwards to the real object.
Nothing is deferred when the modules were already imported before :func:`install`.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

#: module → the names other modules import from it while it is still deferred.
DEFERRED: dict[str, tuple[str, ...]] = {
    "pyhanko.sign.timestamps.aiohttp_client": ("HTTPTimeStamper", "AIOHttpTimeStamper"),
    "pyhanko_certvalidator.fetchers.aiohttp_fetchers": ("AIOHttpFetcherBackend",),
}

_lock = threading.RLock()


class _DeferredName:
    """Stands for ``module.name`` until the module's code has run."""

    def __init__(self, loader: _DeferredLoader, module: ModuleType, name: str) -> None:
        self._loader = loader
        self._module = module
        self._name = name

    def _real(self) -> Any:
        return getattr(self._loader.load(self._module), self._name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._real()(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        if attr in ("_loader", "_module", "_name"):  # not initialised (copy, pickle)
            raise AttributeError(attr)
        return getattr(self._real(), attr)

    def __mro_entries__(self, bases: tuple[Any, ...]) -> tuple[Any, ...]:
        """``class X(HTTPTimeStamper)`` subclasses the real class."""
        return (self._real(),)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, self._real())

    def __subclasscheck__(self, cls: Any) -> bool:
        return issubclass(cls, self._real())

    def __repr__(self) -> str:
        return f"<deferred {self._module.__name__}.{self._name}>"


class _DeferredLoader(importlib.abc.Loader):
    """Creates the module without running it; runs the real loader on first use."""

    def __init__(self, real: importlib.machinery.ModuleSpec, names: tuple[str, ...]) -> None:
        self.real = real
        self.names = names
        self.loaded = False

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        for name in self.names:
            setattr(module, name, _DeferredName(self, module, name))

        def __getattr__(name: str) -> Any:  # PEP 562: any other name loads the module
            if name.startswith("__"):
                raise AttributeError(name)
            return getattr(self.load(module), name)

        module.__getattr__ = __getattr__  # type: ignore[attr-defined]

    def load(self, module: ModuleType) -> ModuleType:
        """Run the module's real code (once) in ``module`` and return it."""
        with _lock:
            if not self.loaded:
                self.loaded = True
                try:
                    del module.__getattr__  # type: ignore[attr-defined]
                    for name in self.names:
                        delattr(module, name)
                    assert self.real.loader is not None
                    self.real.loader.exec_module(module)
                except BaseException:
                    self.loaded = False
                    self.exec_module(module)
                    raise
        return module


class _DeferringFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        names = DEFERRED.get(fullname)
        if names is None:
            return None
        real = importlib.machinery.PathFinder.find_spec(fullname, path)
        if real is None or real.loader is None or real.origin is None:
            return None
        spec = importlib.util.spec_from_file_location(
            fullname,
            real.origin,
            loader=_DeferredLoader(real, names),
            submodule_search_locations=real.submodule_search_locations,
        )
        return spec


_FINDER = _DeferringFinder()


def install() -> None:
    """Defer the modules of :data:`DEFERRED` that are not imported yet (idempotent)."""
    if _FINDER not in sys.meta_path and not any(name in sys.modules for name in DEFERRED):
        sys.meta_path.insert(0, _FINDER)


install()
