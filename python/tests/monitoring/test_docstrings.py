"""Every example in finmon's docstrings runs and prints what it shows."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import finmon

MODULES = sorted(info.name for info in pkgutil.walk_packages(finmon.__path__, "finmon.")
                 if not info.name.endswith(("__main__", "libfinmon")))


ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Examples that read the repository's config name it relative to the checkout.
    monkeypatch.chdir(ROOT)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_modules_have_examples() -> None:
    """The style asks for a short example in every public module's docstring."""
    missing = [name for name in MODULES if not name.rsplit(".", 1)[1].startswith("_")
               and ">>>" not in (importlib.import_module(name).__doc__ or "")]
    assert missing == []
