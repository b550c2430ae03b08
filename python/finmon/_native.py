"""Loading libfinmon.so and giving it the header's C prototypes.

The library is found through ``FINMON_LIB`` (a path), else next to this file. Two views
of it are kept: ``hot`` (``ctypes.PyDLL``: the call keeps the GIL, which is cheaper for
calls that take microseconds) and ``blocking`` (``ctypes.CDLL``: the GIL is released, so
other Python threads run while the library waits on a socket, the disk or a thread join).
Both carry every prototype of ``_bindings`` (generated from include/finmon.h); each call
site picks the view for what the call does.

Example:
    >>> from finmon import _native
    >>> _native.version()
    '0.1.0'
"""

from __future__ import annotations

import ctypes
import os
from ctypes import c_char_p, c_void_p
from pathlib import Path
from typing import NoReturn

from ._bindings import PROTOTYPES, VERSION_MAJOR
from .errors import InvalidArgumentError, LibraryLoadError, error_for

__all__ = [
    "ABI_MAJOR", "blocking", "check", "encode", "hot", "last_error", "library_path", "pack_labels",
    "raise_last", "string_array", "take_string", "untyped", "version",
]

#: The ABI major this shim speaks (the header's FINMON_VERSION_MAJOR); a library with
#: another major is refused.
ABI_MAJOR = VERSION_MAJOR


def library_path() -> Path:
    """Where libfinmon.so is loaded from."""
    override = os.environ.get("FINMON_LIB")
    if override:
        return Path(override)
    return Path(__file__).with_name("libfinmon.so")


def _typed(library: ctypes.CDLL, name: str) -> ctypes._CFuncPtr:
    """``name``'s function object, made on first use (ctypes then caches it as an
    attribute) with the header's prototype: a process keeps only the few dozen it calls,
    not two of each of the header's functions (~0.2 MiB; issue #16, resident memory)."""
    function = ctypes.CDLL.__getattr__(library, name)
    prototype = PROTOTYPES.get(name)
    if prototype is not None:
        function.restype, function.argtypes = prototype
    return function


class _Hot(ctypes.PyDLL):
    __getattr__ = _typed


class _Blocking(ctypes.CDLL):
    __getattr__ = _typed


def _load() -> tuple[ctypes.PyDLL, ctypes.CDLL]:
    path = library_path()
    if not path.exists():
        raise LibraryLoadError(
            f"libfinmon.so not found at {path}; install the package with `pip install ./python` "
            "or point FINMON_LIB at a built library"
        )
    try:
        return _Hot(str(path)), _Blocking(str(path))
    except OSError as error:
        raise LibraryLoadError(f"cannot load {path}: {error}") from error


hot, blocking = _load()


def _check_symbols(library: ctypes.CDLL) -> None:
    """Every function the header declares is in the library (a stale build otherwise
    fails at its first call, far from the cause): looked up with dlsym, which makes no
    function objects."""
    dlsym = ctypes.CDLL(None).dlsym
    dlsym.restype = c_void_p
    dlsym.argtypes = (c_void_p, c_char_p)
    for name in PROTOTYPES:
        if not dlsym(library._handle, name.encode()):
            raise LibraryLoadError(f"{library_path()} lacks {name}, which finmon.h declares; rebuild it")


_check_symbols(hot)


def untyped(name: str) -> ctypes._CFuncPtr:
    """A second ``hot`` function object for ``name`` without argtypes (restype int), for
    call sites that pass ctypes objects built once: ctypes passes them as they are instead
    of converting each argument through the prototype."""
    function = hot._FuncPtr((name, hot))
    function.restype = ctypes.c_int
    return function


def version() -> str:
    """The library's version, "MAJOR.MINOR.PATCH"."""
    raw: bytes = hot.finmon_version()
    return raw.decode()


def _check_abi() -> None:
    found = version()
    try:
        major = int(found.split(".")[0])
    except ValueError:
        raise LibraryLoadError(f"{library_path()} reports an unreadable version {found!r}") from None
    if major != ABI_MAJOR:
        raise LibraryLoadError(
            f"{library_path()} has ABI {found}, this finmon package needs {ABI_MAJOR}.x; rebuild it"
        )


_check_abi()


def last_error() -> str:
    """The calling thread's message for its last failed call."""
    raw: bytes = hot.finmon_last_error()
    return raw.decode("utf-8", "replace")


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8", "replace")


def raise_last(code: int) -> NoReturn:
    """Raise the exception for a failed call's status code, with the details the library
    recorded for it (finmon_error_last: a config error's file, line, column and key path)."""
    details = hot.finmon_error_last().contents
    message = _text(details.message) or f"finmon call failed with status {code}"
    if details.status != code:  # the record is another call's: only the code is known
        raise error_for(code, message)
    raise error_for(code, message, file=_text(details.file), line=details.line or None,
                    column=details.column or None, key_path=_text(details.key_path), reason=_text(details.reason))


def check(code: int) -> int:
    """Return a non-negative status; raise for a negative one."""
    if code < 0:
        raise_last(code)
    return code


def take_string(pointer: c_void_p, length: int | None = None) -> bytes:
    """Copy a string the library returned and free it."""
    if not pointer.value:
        return b""
    try:
        if length is None:
            return ctypes.string_at(pointer.value)
        return ctypes.string_at(pointer.value, length)
    finally:
        hot.finmon_string_free(pointer)


def encode(text: object, what: str) -> bytes:
    """A Python string as the NUL-terminated UTF-8 the C ABI takes, with a clear error."""
    if not isinstance(text, str):
        text = str(text)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidArgumentError(f"{what} is not valid UTF-8 text: {error}") from None
    if b"\0" in data:
        raise InvalidArgumentError(f"{what} contains a NUL character")
    return data


def string_array(values: list[bytes]) -> ctypes.Array[c_char_p]:
    """A ``const char *const *`` for ctypes."""
    return (c_char_p * len(values))(*values)


def pack_labels(values: tuple[str, ...], metric: str | None = None) -> bytes:
    """Label values as finmon_metric_labels_packed takes them: their UTF-8 joined by NUL
    (one bytes object, which ctypes passes without a copy or an array type). A value that
    is not UTF-8 text or holds a NUL raises :func:`encode`'s error, naming ``metric``."""
    try:
        if len(values) == 1:
            data = values[0].encode()
            # `0 in`, not `b"\0" in`: bytes.__contains__ tries its argument as an int
            # first, and a bytes argument costs it a raised and cleared TypeError.
            if 0 not in data:
                return data
        else:
            data = b"\0".join([value.encode() for value in values])
            if data.count(b"\0") == len(values) - 1 or not values:
                return data
    except UnicodeEncodeError:
        pass
    # The error's text is made only here: label values arrive on every new series.
    what = f"a label value of '{metric}'" if metric is not None else "a label value"
    for value in values:
        encode(value, what)
    raise InvalidArgumentError(f"{what} cannot be packed")  # not reached: encode raised
