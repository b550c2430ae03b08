/*
 * finmon/runtime.h -- Runtime: everything from a config file in one call.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_RUNTIME_H
#define FINMON_RUNTIME_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Runtime: everything from a config file in one call ----------------------------- */

/* A running finmon wired from monitoring_config.yaml: a collector with its exporter,
   resource sampler, container monitor, alert evaluation and final record, on the
   library's threads. What Python's finmon.start() returns. */
typedef struct finmon_runtime finmon_runtime;

/* Reads config_path (NULL: the built-in defaults), applies `overrides` (NULL, or a YAML or
   JSON mapping of dotted key paths to values, checked like the file's:
   {"monitoring.prometheus.port": 0, "monitoring.export.enabled": false}), then starts
   every part the config enables: the success-rate window and diversity history, the final
   record, the exporter at monitoring.prometheus.address:port serving metrics_path, the
   resource sampler, the container monitor's polling, the alert evaluation. The config's
   warnings (keys of the previous layout, settings in disagreement) are queued as
   "warning" events on the collector (finmon_events_next). With monitoring.enabled false
   nothing starts. A part that cannot start stops those already started; the status is
   then FINMON_E_CONFIG (bad file or override, finmon_error_last() gives file, line and
   key path), FINMON_E_INVALID_ARGUMENT (a path the monitors cannot use) or FINMON_E_STATE
   (an address the exporter cannot listen on). On success *out owns the runtime: call
   finmon_runtime_stop, then finmon_runtime_free. */
int finmon_runtime_start(const char *config_path, const char *overrides, finmon_runtime **out);

/* Joins every thread, then writes the final record if monitoring.export.enabled
   (FINMON_E_IO if that fails; the threads are stopped anyway). Only the first call does
   anything. */
int finmon_runtime_stop(finmon_runtime *runtime);

/* Stops the runtime if needed and frees it with its collector. NULL is accepted. */
void finmon_runtime_free(finmon_runtime *runtime);

/* *out = the runtime's collector, for the loop hooks and metrics (borrowed: valid until
   finmon_runtime_free, never passed to finmon_collector_free), or NULL when
   monitoring.enabled is false. */
int finmon_runtime_collector(finmon_runtime *runtime, finmon_collector **out);

/* *out receives the effective config as finmon_config_load gives it ({"config": ...,
   "warnings": [...]}); caller frees it with finmon_string_free. */
int finmon_runtime_config(finmon_runtime *runtime, char **out);

/* *port = the port the exporter serves, or -1 (off, stopped, or waiting for a busy port). */
int finmon_runtime_port(finmon_runtime *runtime, int *port);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_RUNTIME_H */
