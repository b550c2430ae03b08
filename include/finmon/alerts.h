/*
 * finmon/alerts.h -- Alert checks: the original design's AlertManager methods.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_ALERTS_H
#define FINMON_ALERTS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Alert checks: the original design's AlertManager methods ------------------------ */

/* Checks one alert rule against the current signals without changing anything: *out
   receives the firing alert as one JSON object (as finmon_alerts_evaluate gives them), or
   NULL when the condition does not hold, its signal is missing or alerts are disabled.
   The alert's state and `for` duration are not considered. alert_type is high_memory,
   high_cpu, diversity_collapse, champion_staleness, low_success_rate,
   orphaned_containers, memory_leak or loop_stuck (another name: FINMON_E_INVALID_ARGUMENT). FINMON_E_STATE before
   the alert manager is configured. Caller frees *out with finmon_string_free. */
int finmon_alerts_check(finmon_collector *collector, const char *alert_type, char **out);

/* Fires an alert as an evaluation would, now: it is firing until a later evaluation sees
   its condition clear, and is appended to the alert log, counted in
   alerts_triggered_total{alert_type}, logged as an event and sent to the receivers.
   severity is "warning" or "critical"; iteration_context is used when
   has_iteration_context is not 0. FINMON_E_STATE before the alert manager is configured. */
int finmon_alerts_trigger(finmon_collector *collector, const char *alert_type, const char *severity,
                          const char *message, double current_value, double threshold_value,
                          int64_t iteration_context, int has_iteration_context);

/* *interval_seconds = seconds between periodic evaluations, 0 while they do not run. */
int finmon_alerts_interval(finmon_collector *collector, double *interval_seconds);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_ALERTS_H */
