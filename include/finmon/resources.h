/*
 * finmon/resources.h -- Resource monitor.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_RESOURCES_H
#define FINMON_RESOURCES_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Resource monitor ------------------------------------------------------------- */

/* One resource monitor per collector samples host CPU (psutil.cpu_percent), memory
   (psutil.virtual_memory), the disk holding disk_path (psutil.disk_usage), this process
   and its cgroup, and keeps these metrics current: system_cpu_usage_percent,
   system_memory_usage_bytes (MemTotal - MemAvailable), system_memory_total_bytes (the
   host's MemTotal, also inside a container), system_memory_limit_bytes (the cgroup memory
   limit when below MemTotal, else MemTotal), system_disk_usage_bytes / _total_bytes /
   _usage_percent, process_* (prometheus_client's names) and
   process_resident_memory_growth_bytes_per_second (least-squares slope over the growth
   window). A source that fails keeps its metrics at their last values, counts
   finmon_collection_errors_total{collector="cpu|memory|disk|process|cgroup"} and logs one
   warning (logger "finmon") until it recovers. process_* are also refreshed on every
   exposition, whether or not the monitor runs.

   Paths: disk_path NULL means "/"; proc_root NULL means "/proc", and the cgroup filesystem
   is read from <parent of proc_root>/sys/fs/cgroup. proc_root must be a directory and
   disk_path must exist (FINMON_E_INVALID_ARGUMENT otherwise; nothing changes then). */

/* Sets the paths and the RSS growth window (seconds, finite, > 0; the default is 300).
   A change starts the sampler over (no CPU baseline, an empty growth window). */
int finmon_resource_configure(finmon_collector *collector, const char *disk_path, const char *proc_root,
                              double rss_growth_window_seconds);

/* Samples now and every interval_seconds (0.01 ... 86400; otherwise, NaN included,
   FINMON_E_INVALID_ARGUMENT) on the collector's threads, until finmon_resource_stop or
   finmon_collector_stop. Sets the paths as finmon_resource_configure does and keeps the
   growth window. Starting a running monitor reschedules it. */
int finmon_resource_start(finmon_collector *collector, double interval_seconds, const char *disk_path,
                          const char *proc_root);

/* Cancels the schedule and returns at once, even while a read hangs (its result is then
   dropped). Metrics keep their last values. Stopping a stopped monitor is harmless. */
int finmon_resource_stop(finmon_collector *collector);

/* *interval_seconds = the running schedule's interval, 0 while stopped. */
int finmon_resource_interval(finmon_collector *collector, double *interval_seconds);

/* The newest sample as one JSON object (keys: timestamp, cpu_percent, memory_total_bytes,
   memory_available_bytes, memory_used_bytes, memory_free_bytes, memory_percent,
   memory_limit_bytes, cgroup_version, cgroup_memory_usage_bytes, disk_path,
   disk_total_bytes, disk_used_bytes, disk_free_bytes, disk_percent, process_*,
   rss_growth_bytes_per_second, errors {collector: message}; null for what was not read).
   *out is owned by the caller (finmon_string_free), or NULL before the first sample. */
int finmon_resource_current_stats(finmon_collector *collector, char **out);

/* Samples on the calling thread (blocking file reads), updates the metrics as a tick does
   and, when out is not NULL, returns the sample's JSON in *out (caller frees with
   finmon_string_free). cpu_percent is null on the first sample (no baseline yet). */
int finmon_resource_sample_now(finmon_collector *collector, char **out);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_RESOURCES_H */
