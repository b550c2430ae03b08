"""Loading libfinmon.so and declaring its C prototypes.

The library is found through ``FINMON_LIB`` (a path), else next to this file. Two views
of it are kept: ``hot`` (``ctypes.PyDLL``: the call keeps the GIL, which is cheaper for
calls that take microseconds) and ``blocking`` (``ctypes.CDLL``: the GIL is released, so
other Python threads run while the library waits on a socket or a thread join).

Example:
    >>> from finmon import _native
    >>> _native.version()
    '0.1.0'
"""

from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, c_char_p, c_double, c_int, c_size_t, c_void_p
from pathlib import Path
from typing import NoReturn

from .errors import InvalidArgumentError, LibraryLoadError, error_for

__all__ = [
    "ABI_MAJOR", "blocking", "check", "encode", "hot", "last_error", "library_path", "raise_last",
    "string_array", "take_string", "version",
]

#: The ABI major this shim speaks; a library with another major is refused.
ABI_MAJOR = 0

c_char_pp = POINTER(c_char_p)


def library_path() -> Path:
    """Where libfinmon.so is loaded from."""
    override = os.environ.get("FINMON_LIB")
    if override:
        return Path(override)
    return Path(__file__).with_name("libfinmon.so")


def _load() -> tuple[ctypes.PyDLL, ctypes.CDLL]:
    path = library_path()
    if not path.exists():
        raise LibraryLoadError(
            f"libfinmon.so not found at {path}; install the package with `pip install ./python` "
            "or point FINMON_LIB at a built library"
        )
    try:
        return ctypes.PyDLL(str(path)), ctypes.CDLL(str(path))
    except OSError as error:
        raise LibraryLoadError(f"cannot load {path}: {error}") from error


hot, blocking = _load()


def _declare(lib: ctypes.CDLL, name: str, restype: object, argtypes: list[object]) -> None:
    function = getattr(lib, name)
    function.restype = restype
    function.argtypes = argtypes


# const char *finmon_version(void);
_declare(hot, "finmon_version", c_char_p, [])
# const char *finmon_last_error(void);
_declare(hot, "finmon_last_error", c_char_p, [])
# void finmon_string_free(char *string);
_declare(hot, "finmon_string_free", None, [c_void_p])
# void finmon_after_fork_child(void);
_declare(hot, "finmon_after_fork_child", None, [])
# int finmon_collector_new(finmon_collector **out);
_declare(hot, "finmon_collector_new", c_int, [POINTER(c_void_p)])
# void finmon_collector_free(finmon_collector *collector);
_declare(blocking, "finmon_collector_free", None, [c_void_p])
# int finmon_collector_stop(finmon_collector *collector);
_declare(blocking, "finmon_collector_stop", c_int, [c_void_p])
# int finmon_collector_export_final(finmon_collector *, const char *directory, const char *json_file,
#                                   const char *prometheus_file);
_declare(blocking, "finmon_collector_export_final", c_int, [c_void_p, c_char_p, c_char_p, c_char_p])
# int finmon_collector_configure_final_export(finmon_collector *, const char *directory, const char *json_file,
#                                             const char *prometheus_file);
_declare(hot, "finmon_collector_configure_final_export", c_int, [c_void_p, c_char_p, c_char_p, c_char_p])
# int finmon_collector_exposition(finmon_collector *collector, int format, char **out, size_t *length);
_declare(hot, "finmon_collector_exposition", c_int, [c_void_p, c_int, POINTER(c_void_p), POINTER(c_size_t)])
# int finmon_collector_sample_value(finmon_collector *, const char *name, const char *const *label_names,
#                                   const char *const *label_values, size_t label_count, double *value);
_declare(hot, "finmon_collector_sample_value", c_int,
         [c_void_p, c_char_p, c_char_pp, c_char_pp, c_size_t, POINTER(c_double)])
# int finmon_exporter_start(finmon_collector *, const char *address, int port, double retry_seconds, int *bound_port);
_declare(blocking, "finmon_exporter_start", c_int, [c_void_p, c_char_p, c_int, c_double, POINTER(c_int)])
# int finmon_exporter_configure(finmon_collector *, int64_t max_connections, double read_timeout_seconds,
#                               double idle_timeout_seconds);
_declare(hot, "finmon_exporter_configure", c_int, [c_void_p, ctypes.c_int64, c_double, c_double])
# int finmon_exporter_stop(finmon_collector *collector);
_declare(blocking, "finmon_exporter_stop", c_int, [c_void_p])
# int finmon_exporter_port(finmon_collector *collector, int *port);
_declare(hot, "finmon_exporter_port", c_int, [c_void_p, POINTER(c_int)])
# int finmon_exporter_attach_exposition(finmon_collector *collector, const char *text, size_t text_length,
#                                       const char *openmetrics, size_t openmetrics_length);
_declare(hot, "finmon_exporter_attach_exposition", c_int, [c_void_p, c_char_p, c_size_t, c_char_p, c_size_t])
# int finmon_events_next(finmon_collector *collector, double timeout_seconds, char **out);
_declare(blocking, "finmon_events_next", c_int, [c_void_p, c_double, POINTER(c_void_p)])
# int finmon_events_close(finmon_collector *collector);
_declare(hot, "finmon_events_close", c_int, [c_void_p])
# int finmon_metric_register(finmon_collector *, int type, const char *name, const char *help,
#                            const char *const *label_names, size_t label_count,
#                            const double *buckets, size_t bucket_count, finmon_metric **out);
_declare(hot, "finmon_metric_register", c_int,
         [c_void_p, c_int, c_char_p, c_char_p, c_char_pp, c_size_t, POINTER(c_double), c_size_t, POINTER(c_void_p)])
# int finmon_metric_lookup(finmon_collector *collector, const char *name, finmon_metric **out);
_declare(hot, "finmon_metric_lookup", c_int, [c_void_p, c_char_p, POINTER(c_void_p)])
# int finmon_metric_describe(finmon_metric *metric, char **out);
_declare(hot, "finmon_metric_describe", c_int, [c_void_p, POINTER(c_void_p)])
# int finmon_metric_unregister(finmon_collector *collector, finmon_metric *metric);
_declare(hot, "finmon_metric_unregister", c_int, [c_void_p, c_void_p])
# int finmon_metric_labels(finmon_metric *, const char *const *label_names, const char *const *label_values,
#                          size_t label_count, finmon_series **out);
_declare(hot, "finmon_metric_labels", c_int, [c_void_p, c_char_pp, c_char_pp, c_size_t, POINTER(c_void_p)])
# int finmon_metric_remove(finmon_metric *, const char *const *label_names, const char *const *label_values,
#                          size_t label_count, int *removed);
_declare(hot, "finmon_metric_remove", c_int, [c_void_p, c_char_pp, c_char_pp, c_size_t, POINTER(c_int)])
# int finmon_metric_clear(finmon_metric *metric);
_declare(hot, "finmon_metric_clear", c_int, [c_void_p])
# int finmon_metric_series_count(finmon_metric *metric, size_t *count);
_declare(hot, "finmon_metric_series_count", c_int, [c_void_p, POINTER(c_size_t)])
# int finmon_series_set(finmon_series *series, double value);
_declare(hot, "finmon_series_set", c_int, [c_void_p, c_double])
# int finmon_series_inc(finmon_series *series, double amount);
_declare(hot, "finmon_series_inc", c_int, [c_void_p, c_double])
# int finmon_series_dec(finmon_series *series, double amount);
_declare(hot, "finmon_series_dec", c_int, [c_void_p, c_double])
# int finmon_series_observe(finmon_series *series, double value);
_declare(hot, "finmon_series_observe", c_int, [c_void_p, c_double])
# int finmon_series_get(finmon_series *series, double *value);
_declare(hot, "finmon_series_get", c_int, [c_void_p, POINTER(c_double)])
# int finmon_batch_apply(const uint64_t *handles, const uint8_t *ops, const double *values,
#                        size_t count, size_t *failed_index);
# Pointers as c_void_p: callers pass array addresses (ints) without a ctypes.cast each time.
_declare(hot, "finmon_batch_apply", c_int, [c_void_p, c_void_p, c_void_p, c_size_t, c_void_p])


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


def raise_last(code: int) -> NoReturn:
    """Raise the exception for a failed call's status code."""
    raise error_for(code, last_error() or f"finmon call failed with status {code}")


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


# ---- Loop hooks and diversity ---------------------------------------------------------

from ctypes import c_int64  # noqa: E402  (kept with the prototypes that need it)

#: finmon_loop_record_iteration's flag bits (FINMON_LOOP_HAS_SHARPE, FINMON_LOOP_HAS_MAX_DRAWDOWN).
LOOP_HAS_SHARPE = 1
LOOP_HAS_MAX_DRAWDOWN = 2

# int finmon_loop_record_iteration(finmon_collector *, int64_t iteration, int success, double execution_seconds,
#                                  double sharpe, double max_drawdown, int flags);
_declare(hot, "finmon_loop_record_iteration", c_int,
         [c_void_p, c_int64, c_int, c_double, c_double, c_double, c_int])
# int finmon_loop_success_rate(finmon_collector *collector, double *rate, int *window_full);
_declare(hot, "finmon_loop_success_rate", c_int, [c_void_p, POINTER(c_double), POINTER(c_int)])
# int finmon_diversity_record(finmon_collector *, int64_t iteration, double diversity,
#                             int64_t unique_count, int64_t total_count);
_declare(hot, "finmon_diversity_record", c_int, [c_void_p, c_int64, c_double, c_int64, c_int64])
# int finmon_diversity_record_champion_update(finmon_collector *, int64_t iteration, int has_old_sharpe,
#                                             double old_sharpe, double new_sharpe);
_declare(hot, "finmon_diversity_record_champion_update", c_int, [c_void_p, c_int64, c_int, c_double, c_double])
# int finmon_diversity_check_collapse(finmon_collector *collector, int window, double threshold, int *out);
_declare(hot, "finmon_diversity_check_collapse", c_int, [c_void_p, c_int, c_double, POINTER(c_int)])
# int finmon_diversity_staleness(finmon_collector *, int64_t current_iteration, int64_t last_update_iteration,
#                                int64_t *out);
_declare(hot, "finmon_diversity_staleness", c_int, [c_void_p, c_int64, c_int64, POINTER(c_int64)])
# int finmon_diversity_compute(const double *values, size_t rows, size_t cols, const double *lower,
#                              const double *upper, double *out);
# Declared on `blocking`: O(rows * cols) work runs without the GIL.
_declare(blocking, "finmon_diversity_compute", c_int,
         [c_void_p, c_size_t, c_size_t, POINTER(c_double), POINTER(c_double), POINTER(c_double)])
# int finmon_diversity_ranges(const double *values, size_t rows, size_t cols, double *lower, double *upper);
_declare(blocking, "finmon_diversity_ranges", c_int,
         [c_void_p, c_size_t, c_size_t, POINTER(c_double), POINTER(c_double)])
# int finmon_diversity_genotype(const uint64_t *codes, size_t rows, size_t cols, double *out);
_declare(blocking, "finmon_diversity_genotype", c_int, [c_void_p, c_size_t, c_size_t, POINTER(c_double)])
# int finmon_diversity_unique_fraction(const char *const *fingerprints, const size_t *lengths, size_t count,
#                                      double *fraction, size_t *unique_count);
_declare(hot, "finmon_diversity_unique_fraction", c_int,
         [c_char_pp, POINTER(c_size_t), c_size_t, POINTER(c_double), POINTER(c_size_t)])

__all__ += ["LOOP_HAS_MAX_DRAWDOWN", "LOOP_HAS_SHARPE"]

# ---- Configuration and alerts -------------------------------------------------------

#: finmon_alert_input values, by the keyword ``AlertManager.inject_snapshot`` takes.
ALERT_INPUTS: dict[str, int] = {
    "memory_percent": 0, "cpu_percent": 1, "diversity": 2, "champion_staleness": 3,
    "success_rate": 4, "orphaned_containers": 5, "iteration": 6, "resident_memory_bytes": 7,
    "resident_memory_growth_bytes_per_second": 8, "memory_limit_bytes": 9, "seconds_since_last_iteration": 10,
}

# int finmon_config_load(const char *path, char **out_json);
_declare(hot, "finmon_config_load", c_int, [c_char_p, POINTER(c_void_p)])
# int finmon_config_parse(const char *yaml_text, const char *file_name, char **out_json);
_declare(hot, "finmon_config_parse", c_int, [c_char_p, c_char_p, POINTER(c_void_p)])
# int finmon_alerts_configure_file(finmon_collector *collector, const char *path);
_declare(hot, "finmon_alerts_configure_file", c_int, [c_void_p, c_char_p])
# int finmon_alerts_configure_text(finmon_collector *collector, const char *yaml_text, const char *file_name);
_declare(hot, "finmon_alerts_configure_text", c_int, [c_void_p, c_char_p, c_char_p])
# int finmon_alerts_evaluate(finmon_collector *collector, char **out_json);
# Declared on `blocking`: it appends to the alert log file, which may wait on the disk.
_declare(blocking, "finmon_alerts_evaluate", c_int, [c_void_p, POINTER(c_void_p)])
# int finmon_alerts_active(finmon_collector *collector, char **out_json);
_declare(hot, "finmon_alerts_active", c_int, [c_void_p, POINTER(c_void_p)])
# int finmon_alerts_start(finmon_collector *collector);
_declare(blocking, "finmon_alerts_start", c_int, [c_void_p])
# int finmon_alerts_stop(finmon_collector *collector);
_declare(blocking, "finmon_alerts_stop", c_int, [c_void_p])
# int finmon_alerts_running(finmon_collector *collector, int *running);
_declare(hot, "finmon_alerts_running", c_int, [c_void_p, POINTER(c_int)])
# int finmon_alerts_inject(finmon_collector *collector, int input, double value);
_declare(hot, "finmon_alerts_inject", c_int, [c_void_p, c_int, c_double])
# int finmon_alerts_delivery_status(finmon_collector *collector, char **out_json);
_declare(hot, "finmon_alerts_delivery_status", c_int, [c_void_p, POINTER(c_void_p)])
# int finmon_alerts_render_rules(const char *path, char **out_yaml);
_declare(hot, "finmon_alerts_render_rules", c_int, [c_char_p, POINTER(c_void_p)])

__all__ += ["ALERT_INPUTS"]

# ---- Containers -----------------------------------------------------------------------
# Hooks keep the GIL (they only schedule work); the engine calls that wait release it.

# int finmon_containers_configure(finmon_collector *, const char *endpoint, const char *label,
#                                 const char *const *orphan_statuses, size_t status_count,
#                                 double request_timeout_seconds, int orphan_threshold, int auto_cleanup);
_declare(hot, "finmon_containers_configure", c_int,
         [c_void_p, c_char_p, c_char_p, c_char_pp, c_size_t, c_double, c_int, c_int])
# int finmon_containers_record_created(finmon_collector *collector, const char *container_id);
_declare(hot, "finmon_containers_record_created", c_int, [c_void_p, c_char_p])
# int finmon_containers_record_stats(finmon_collector *collector, const char *container_id);
_declare(hot, "finmon_containers_record_stats", c_int, [c_void_p, c_char_p])
# int finmon_containers_record_cleanup(finmon_collector *collector, const char *container_id, int success);
_declare(hot, "finmon_containers_record_cleanup", c_int, [c_void_p, c_char_p, c_int])
# int finmon_containers_scan_orphans(finmon_collector *collector, char **out);
_declare(blocking, "finmon_containers_scan_orphans", c_int, [c_void_p, POINTER(c_void_p)])
# int finmon_containers_cleanup_orphans(finmon_collector *collector, int64_t *removed);
_declare(blocking, "finmon_containers_cleanup_orphans", c_int, [c_void_p, POINTER(c_int64)])
# int finmon_containers_remove(finmon_collector *collector, const char *container_id, int *removed);
_declare(blocking, "finmon_containers_remove", c_int, [c_void_p, c_char_p, POINTER(c_int)])
# int finmon_containers_start_polling(finmon_collector *collector, double interval_seconds);
_declare(hot, "finmon_containers_start_polling", c_int, [c_void_p, c_double])
# int finmon_containers_stop_polling(finmon_collector *collector);
_declare(blocking, "finmon_containers_stop_polling", c_int, [c_void_p])
# int finmon_containers_status(finmon_collector *collector, char **out);
_declare(hot, "finmon_containers_status", c_int, [c_void_p, POINTER(c_void_p)])

# int finmon_loop_configure(finmon_collector *collector, int64_t success_window, int64_t history_size);
_declare(hot, "finmon_loop_configure", c_int, [c_void_p, ctypes.c_int64, ctypes.c_int64])
# ---- Resource monitor -----------------------------------------------------------------

# int finmon_resource_configure(finmon_collector *, const char *disk_path, const char *proc_root,
#                               double rss_growth_window_seconds);
_declare(hot, "finmon_resource_configure", c_int, [c_void_p, c_char_p, c_char_p, c_double])
# int finmon_resource_start(finmon_collector *, double interval_seconds, const char *disk_path,
#                           const char *proc_root);
# Declared on `blocking`: the first start creates the collector's threads.
_declare(blocking, "finmon_resource_start", c_int, [c_void_p, c_double, c_char_p, c_char_p])
# int finmon_resource_stop(finmon_collector *collector);
_declare(hot, "finmon_resource_stop", c_int, [c_void_p])
# int finmon_resource_interval(finmon_collector *collector, double *interval_seconds);
_declare(hot, "finmon_resource_interval", c_int, [c_void_p, POINTER(c_double)])
# int finmon_resource_current_stats(finmon_collector *collector, char **out);
_declare(hot, "finmon_resource_current_stats", c_int, [c_void_p, POINTER(c_void_p)])
# int finmon_resource_sample_now(finmon_collector *collector, char **out);
# Declared on `blocking`: file reads and statvfs run without the GIL.
_declare(blocking, "finmon_resource_sample_now", c_int, [c_void_p, POINTER(c_void_p)])

# ---- Settings table and runtime -------------------------------------------------------

#: finmon_config_schema_format values.
CONFIG_SCHEMA_FORMATS: dict[str, int] = {"json": 0, "markdown": 1, "yaml": 2}

# int finmon_config_schema(int format, char **out);
_declare(hot, "finmon_config_schema", c_int, [c_int, POINTER(c_void_p)])

__all__ += ["CONFIG_SCHEMA_FORMATS"]
# int finmon_runtime_start(const char *config_path, const char *overrides, finmon_runtime **out);
# Declared on `blocking`: it starts threads and binds the exporter's port.
_declare(blocking, "finmon_runtime_start", c_int, [c_char_p, c_char_p, POINTER(c_void_p)])
# int finmon_runtime_stop(finmon_runtime *runtime);
_declare(blocking, "finmon_runtime_stop", c_int, [c_void_p])
# void finmon_runtime_free(finmon_runtime *runtime);
_declare(blocking, "finmon_runtime_free", None, [c_void_p])
# int finmon_runtime_collector(finmon_runtime *runtime, finmon_collector **out);
_declare(hot, "finmon_runtime_collector", c_int, [c_void_p, POINTER(c_void_p)])
# int finmon_runtime_config(finmon_runtime *runtime, char **out);
_declare(hot, "finmon_runtime_config", c_int, [c_void_p, POINTER(c_void_p)])
# int finmon_runtime_port(finmon_runtime *runtime, int *port);
_declare(hot, "finmon_runtime_port", c_int, [c_void_p, POINTER(c_int)])
# int finmon_alerts_check(finmon_collector *collector, const char *alert_type, char **out);
_declare(hot, "finmon_alerts_check", c_int, [c_void_p, c_char_p, POINTER(c_void_p)])
# int finmon_alerts_trigger(finmon_collector *collector, const char *alert_type, const char *severity,
#                           const char *message, double current_value, double threshold_value,
#                           int64_t iteration_context, int has_iteration_context);
# Declared on `blocking`: it appends to the alert log file.
_declare(blocking, "finmon_alerts_trigger", c_int,
         [c_void_p, c_char_p, c_char_p, c_char_p, c_double, c_double, c_int64, c_int])
# int finmon_collector_set_strict(finmon_collector *collector, int strict);
_declare(hot, "finmon_collector_set_strict", c_int, [c_void_p, c_int])
# int finmon_collector_strict(finmon_collector *collector, int *strict);
_declare(hot, "finmon_collector_strict", c_int, [c_void_p, POINTER(c_int)])
# int finmon_alerts_interval(finmon_collector *collector, double *interval_seconds);
_declare(hot, "finmon_alerts_interval", c_int, [c_void_p, POINTER(c_double)])
