/*
 * finmon/containers.h -- Containers.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_CONTAINERS_H
#define FINMON_CONTAINERS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Containers ------------------------------------------------------------------- */

/* Sets where the collector's container monitor finds the Docker Engine API and what it
   calls an orphan. endpoint (NULL: DOCKER_HOST, else unix:///var/run/docker.sock) is
   unix:///path, an absolute socket path, tcp://host:port, http://host:port or a docker-py
   api.base_url. label (NULL: "finlab-sandbox") is a label key or key=value; orphans are
   containers with it whose state is one of orphan_statuses (status_count entries; NULL
   and 0: "exited", "dead"). request_timeout_seconds (0 < t <= 300) bounds every engine
   request. During polling, once orphan_threshold (>= 1) orphans are found and
   auto_cleanup is non-zero, the orphans this monitor does not track are force-removed.
   Tracked containers and their series are kept. FINMON_E_INVALID_ARGUMENT for a bad
   endpoint or value. */
int finmon_containers_configure(finmon_collector *collector, const char *endpoint, const char *label,
                                const char *const *orphan_statuses, size_t status_count,
                                double request_timeout_seconds, int orphan_threshold, int auto_cleanup);

/* Hooks. None waits for the engine: each returns at once.
   record_created and record_stats track the container (active_containers counts it until
   its cleanup) and schedule one stats query on the library's thread, which sets
   container_memory_usage_bytes{container_id} (usage without inactive file cache) and,
   from the second sample on, container_cpu_usage_percent{container_id} (the docker CLI's
   formula). A query already in flight for the id serves the call. record_cleanup counts
   container_cleanup_success_total or _failure_total (success non-zero or 0) and removes
   the container's series. When a query fails (timeout, engine down), the last values stay
   and finmon_collection_errors_total{collector="docker"} counts it; a warning is logged
   once until the engine answers again. A container the engine no longer knows is dropped
   like a cleanup (without counting). container_id: a Docker id or name,
   [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128 bytes (else FINMON_E_INVALID_ARGUMENT). */
int finmon_containers_record_created(finmon_collector *collector, const char *container_id);
int finmon_containers_record_stats(finmon_collector *collector, const char *container_id);
int finmon_containers_record_cleanup(finmon_collector *collector, const char *container_id, int success);

/* Blocking (up to the request timeout): lists the labelled containers in an orphan state,
   sets orphaned_containers and returns their ids as a JSON array of strings in *out
   (caller frees with finmon_string_free). FINMON_E_TIMEOUT, FINMON_E_IO (engine
   unreachable) or FINMON_E_DOCKER (engine error) on failure, each also counted in
   finmon_collection_errors_total{collector="docker"}. */
int finmon_containers_scan_orphans(finmon_collector *collector, char **out);

/* Blocking: scans as above, force-removes every orphan (tracked ones too) and sets
   *removed to the number removed. Each removal counts in container_cleanup_success_total
   or container_cleanup_failure_total (one already gone counts in neither) and drops the
   container's series. Errors as finmon_containers_scan_orphans. */
int finmon_containers_cleanup_orphans(finmon_collector *collector, int64_t *removed);

/* Blocking: force-removes one container and records its cleanup like record_cleanup:
   success when it is gone afterwards (*removed, may be NULL, is 1 if this call removed
   it, 0 if it was already gone), failure when the engine refused or was unreachable
   (then also the error status, as finmon_containers_scan_orphans). */
int finmon_containers_remove(finmon_collector *collector, const char *container_id, int *removed);

/* Polls now and every interval_seconds (0.01 ... 86400): an orphan scan (with auto
   cleanup) and a stats query of every tracked container, at most 16 in flight; the
   cycle's duration goes to finmon_container_stats_cycle_seconds. A cycle still running
   when the next is due makes that one skip. Replaces an earlier schedule. */
int finmon_containers_start_polling(finmon_collector *collector, double interval_seconds);
int finmon_containers_stop_polling(finmon_collector *collector);

/* The monitor's bookkeeping as a JSON object in *out (caller frees with
   finmon_string_free): endpoint, label, orphan_threshold, auto_cleanup,
   request_timeout_seconds, tracked_containers, queries_in_flight, polling,
   poll_interval_seconds, cycles_completed, last_cycle_seconds, last_cycle_containers,
   engine_failing, last_error, errors, orphaned_containers, auto_removed. */
int finmon_containers_status(finmon_collector *collector, char **out);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_CONTAINERS_H */
