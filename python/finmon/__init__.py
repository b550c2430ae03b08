"""finmon: monitoring for an autonomous strategy-evolution loop, on a native Swift core.

Hooks are called in-process at iteration boundaries; the exporter, samplers and alert
evaluation run on the library's own threads and never take the GIL.

Example:
    >>> import finmon
    >>> collector = finmon.MetricsCollector()
    >>> collector.population_diversity.set(0.4)
    >>> collector.get_sample_value("population_diversity")
    0.4
    >>> collector.close()
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from . import diversity
from ._bindings import Status
from ._native import version as _library_version
from .collector import CATALOG, MetricsCollector
from .errors import (
    ConfigError,
    ConflictError,
    DockerError,
    FinmonError,
    FinmonIOError,
    FinmonTimeoutError,
    InvalidArgumentError,
    InvalidHandleError,
    InvalidNameError,
    LabelError,
    LibraryLoadError,
    MetricTypeError,
    NotFoundError,
    StateError,
)
from .iteration import Iteration
from .batch import Batch, PreparedBatch
from .metrics import Child, Counter, Gauge, Histogram, Metric
from .monitors import DiversityMonitor
from .multiprocess import attach

if TYPE_CHECKING:
    from .alerts import Alert, AlertManager
    from .config import AlertConfig, MonitoringConfig
    from .containers import ContainerMonitor, TrackedContainer
    from .resources import ResourceMonitor, SystemStats
    from .runtime import Runtime, start
    from .runtime import Runtime as Monitoring

# Loaded on first use: a loop that only updates metrics does not pay for the config,
# alert, container and resource modules (and the dataclass machinery they import).
_LAZY = {
    "Alert": "alerts", "AlertManager": "alerts",
    "AlertConfig": "config", "MonitoringConfig": "config",
    "ContainerMonitor": "containers", "TrackedContainer": "containers",
    "ResourceMonitor": "resources", "SystemStats": "resources",
    "Runtime": "runtime", "start": "runtime",
}


def __getattr__(name: str) -> Any:
    if name == "Monitoring":
        import warnings

        warnings.warn("finmon.Monitoring is now finmon.Runtime (what finmon.start returns)",
                      DeprecationWarning, stacklevel=2)
        return __getattr__("Runtime")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'finmon' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value

__version__ = _library_version()

__all__ = [
    "Alert",
    "AlertConfig",
    "AlertManager",
    "Batch",
    "CATALOG",
    "Child",
    "ConfigError",
    "ConflictError",
    "ContainerMonitor",
    "Counter",
    "DiversityMonitor",
    "DockerError",
    "FinmonError",
    "FinmonIOError",
    "FinmonTimeoutError",
    "Gauge",
    "Histogram",
    "InvalidArgumentError",
    "InvalidHandleError",
    "InvalidNameError",
    "Iteration",
    "LabelError",
    "LibraryLoadError",
    "Metric",
    "MetricTypeError",
    "MetricsCollector",
    "MonitoringConfig",
    "NotFoundError",
    "PreparedBatch",
    "ResourceMonitor",
    "Runtime",
    "StateError",
    "Status",
    "SystemStats",
    "TrackedContainer",
    "attach",
    "diversity",
    "start",
    "__version__",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
