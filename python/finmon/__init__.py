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

from . import diversity
from ._native import version as _library_version
from .alerts import Alert, AlertManager
from .collector import CATALOG, MetricsCollector
from .config import AlertConfig, MonitoringConfig
from .containers import ContainerMonitor, TrackedContainer
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
from .metrics import Batch, Child, Counter, Gauge, Histogram, Metric, PreparedBatch
from .monitors import DiversityMonitor
from .resources import ResourceMonitor, SystemStats
from .runtime import Monitoring, start

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
    "Monitoring",
    "MonitoringConfig",
    "NotFoundError",
    "PreparedBatch",
    "ResourceMonitor",
    "StateError",
    "SystemStats",
    "TrackedContainer",
    "diversity",
    "start",
    "__version__",
]
