/*
 * finmon/config.h -- Configuration and alerts.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_CONFIG_H
#define FINMON_CONFIG_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Configuration and alerts ----------------------------------------------------- */

/* Config errors are FINMON_E_CONFIG with finmon_last_error() as
   "file:line: key.path: message" (a syntax error: "file:line:column: message"; an
   unreadable file: "file: cannot open: ..."), and the same parts apart in
   finmon_error_last()'s file, line, column, key_path and reason. */

/* Reads and validates a monitoring_config.yaml (the original design's layout; the
   previous layout loads too, each of its keys with a warning naming its new place).
   *out_json receives one line of JSON: {"config": {...every setting, defaults filled in,
   nested by the YAML's sections...}, "warnings": [{"file", "line", "key_path", "message",
   "text"}...]}; caller frees it with finmon_string_free. */
int finmon_config_load(const char *path, char **out_json);

/* finmon_config_load for YAML text (JSON is YAML too). file_name (may be NULL) only
   names the text in error messages. An empty text is the defaults. */
int finmon_config_parse(const char *yaml_text, const char *file_name, char **out_json);

/* Configures the collector's alert manager from a config file or text (as above): rules,
   the JSON-lines alert log (a relative log_file is taken against the current working
   directory now), Alertmanager and webhook receivers, the evaluation interval.
   Starts the alert state afresh (alert_active back to 0 for every type). */
int finmon_alerts_configure_file(finmon_collector *collector, const char *path);
int finmon_alerts_configure_text(finmon_collector *collector, const char *yaml_text, const char *file_name);

/* Evaluates every rule once. For each alert that starts firing or resolves: appends its
   JSON line to the alert log, updates alerts_triggered_total and alert_active, queues a
   JSON record for the "finmon.alerts" logger (see finmon_events_next) and queues the
   notification (sent on the library's thread; this call never waits for a receiver).
   *out_json (out may be NULL: nothing is returned) receives a JSON array of the events,
   each {"alert_type","severity","status","message","current_value","threshold_value",
   "timestamp","iteration_context","starts_at"}; caller frees it.
   FINMON_E_STATE before the alert manager is configured. */
int finmon_alerts_evaluate(finmon_collector *collector, char **out_json);

/* The firing alerts as a JSON array like finmon_alerts_evaluate's; caller frees it. */
int finmon_alerts_active(finmon_collector *collector, char **out_json);

/* Evaluates now and then every alerts.evaluation_interval_seconds on the library's
   thread, until finmon_alerts_stop or finmon_collector_stop. Starting twice changes
   nothing; with alerts disabled nothing runs. FINMON_E_STATE before configuring. */
int finmon_alerts_start(finmon_collector *collector);
/* Stops periodic evaluation; returns at once. Notifications under way are still sent. */
int finmon_alerts_stop(finmon_collector *collector);
/* *running = 1 while periodic evaluation is scheduled. */
int finmon_alerts_running(finmon_collector *collector, int *running);

/* Signals of the alert snapshot that can be injected. */
typedef enum finmon_alert_input {
    FINMON_ALERT_INPUT_MEMORY_PERCENT = 0,      /* system memory in use, percent; >= 0 */
    FINMON_ALERT_INPUT_CPU_PERCENT = 1,         /* system CPU busy, percent; >= 0 */
    FINMON_ALERT_INPUT_DIVERSITY = 2,           /* [0, 1]; as if the last `window` values were all this */
    FINMON_ALERT_INPUT_CHAMPION_STALENESS = 3,  /* iterations, a whole number >= 0 */
    FINMON_ALERT_INPUT_SUCCESS_RATE = 4,        /* fraction [0, 1] over the success window */
    FINMON_ALERT_INPUT_ORPHANED_CONTAINERS = 5, /* a whole number >= 0 */
    FINMON_ALERT_INPUT_ITERATION = 6,           /* context attached to events; whole number >= 0 */
    FINMON_ALERT_INPUT_RESIDENT_MEMORY_BYTES = 7,        /* this process' RSS, bytes; >= 0 */
    FINMON_ALERT_INPUT_RESIDENT_MEMORY_GROWTH = 8,       /* RSS growth, bytes per second; finite */
    FINMON_ALERT_INPUT_MEMORY_LIMIT_BYTES = 9,           /* memory this process may use, bytes; > 0 */
    FINMON_ALERT_INPUT_SECONDS_SINCE_LAST_ITERATION = 10 /* seconds; >= 0 */
} finmon_alert_input;

/* Overrides one signal of the snapshot until cleared: value NaN clears the override.
   Without an override the value comes from the library's monitors (memory, CPU and
   orphans are unavailable until their monitors provide them). FINMON_E_INVALID_ARGUMENT,
   changing nothing, for an unknown input or a value it cannot take. */
int finmon_alerts_inject(finmon_collector *collector, finmon_alert_input input, double value);

/* Delivery state as a JSON object {"alertmanager_url","alertmanager_pending",
   "alertmanager_in_sync","alertmanager_down","webhook_url","webhook_pending",
   "webhook_down","webhook_dropped"}; caller frees it. */
int finmon_alerts_delivery_status(finmon_collector *collector, char **out_json);

/* Renders the Prometheus alerting rules equivalent to the config's alert rules (path
   NULL: the defaults) as a rule-file YAML text; caller frees it. The output depends only
   on the config, so a committed rule file can be compared byte for byte. */
int finmon_alerts_render_rules(const char *path, char **out_yaml);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_CONFIG_H */
