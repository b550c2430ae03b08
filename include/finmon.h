/*
 * finmon.h -- the C ABI of libfinmon, finmon's monitoring core.
 *
 * Conventions
 *  - Every fallible call returns int: FINMON_OK (0) or a positive note on success, a
 *    negative finmon_status on failure. Out-parameters come last and are left untouched
 *    on failure. finmon_last_error() then holds a message for the calling thread, and
 *    finmon_error_last() the status, message and (for a config error) location.
 *  - Handles are opaque and checked on every call: a freed or made-up handle is an
 *    error (FINMON_E_INVALID_HANDLE), never a crash. No input can make the library trap.
 *  - Strings passed in are NUL-terminated UTF-8 and borrowed for the call only.
 *    Strings the library returns through `char **` are owned by the caller and freed
 *    with finmon_string_free(). Free functions accept NULL.
 *  - Every function may be called from any thread.
 */
#ifndef FINMON_H
#define FINMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FINMON_VERSION_MAJOR 0
#define FINMON_VERSION_MINOR 1
#define FINMON_VERSION_PATCH 0

/* Status codes. */
typedef enum finmon_status {
    FINMON_OK = 0,
    FINMON_DROPPED = 1,               /* success, but the series was not stored: its family is full */
    FINMON_E_INVALID_ARGUMENT = -1,   /* a value out of range: NaN, negative increment, bad count ... */
    FINMON_E_NULL_POINTER = -2,       /* a required pointer was NULL */
    FINMON_E_INVALID_HANDLE = -3,     /* freed, removed or unknown handle */
    FINMON_E_INVALID_UTF8 = -4,       /* a string is not valid UTF-8 */
    FINMON_E_INVALID_NAME = -5,       /* a metric or label name breaks Prometheus' rules */
    FINMON_E_LABELS = -6,             /* label names or count do not match the metric's */
    FINMON_E_WRONG_TYPE = -7,         /* the operation does not exist for this metric type */
    FINMON_E_CONFLICT = -8,           /* the name is registered with another definition */
    FINMON_E_NOT_FOUND = -9,          /* no such metric or sample */
    FINMON_E_STATE = -10,             /* not allowed now (already started, address unusable) */
    FINMON_E_IO = -11,                /* a file or socket operation failed */
    FINMON_E_CONFIG = -12,            /* invalid configuration */
    FINMON_E_TIMEOUT = -13,           /* a request timed out */
    FINMON_E_DOCKER = -14,            /* the container engine answered with an error */
    FINMON_E_INTERNAL = -99           /* a bug in finmon; please report it */
} finmon_status;

typedef enum finmon_metric_type {
    FINMON_COUNTER = 0,
    FINMON_GAUGE = 1,
    FINMON_HISTOGRAM = 2
} finmon_metric_type;

typedef enum finmon_format {
    FINMON_FORMAT_PROMETHEUS_TEXT = 0, /* text/plain; version=0.0.4 */
    FINMON_FORMAT_OPENMETRICS = 1      /* application/openmetrics-text; version=1.0.0 */
} finmon_format;

typedef enum finmon_batch_op {
    FINMON_OP_SET = 0,
    FINMON_OP_INC = 1,
    FINMON_OP_DEC = 2,
    FINMON_OP_OBSERVE = 3
} finmon_batch_op;

/* A collector: one registry with the metric catalog, its exporter and its threads. */
typedef struct finmon_collector finmon_collector;
/* A metric family of a collector. Owned by the collector; never freed by the caller. */
typedef struct finmon_metric finmon_metric;
/* One labeled series of a family. Owned by the family; invalid once removed or cleared, by the
   caller or by the library itself (container cleanup): finmon_metric_labels re-creates it. */
typedef struct finmon_series finmon_series;

/* ---- Library ---------------------------------------------------------------------- */

/* "MAJOR.MINOR.PATCH". Static storage: do not free. */
const char *finmon_version(void);

/* The calling thread's message for its last failed call; "" if none. Never NULL.
   Owned by the library and valid until the thread's next failing call: do not free. */
const char *finmon_last_error(void);

/* The details of the calling thread's last failed call, in the manner of libgit2's
   git_error_last(): always its status and message; for FINMON_E_CONFIG also where the
   problem is, so a host need not parse the message. */
typedef struct finmon_error {
    int status;           /* the call's finmon_status; FINMON_OK while no call failed */
    const char *message;  /* what finmon_last_error() returns; never NULL */
    const char *file;     /* config errors: the file (or the name given to config text); else NULL */
    int line;             /* config errors: 1-based line; 0 when there is none (an unreadable file) */
    int column;           /* config errors: 1-based column; 0 when unknown */
    const char *key_path; /* config errors: the dotted key, e.g. "alerts.high_cpu.threshold"; NULL when
                             the error is not about one key */
    const char *reason;   /* config errors: the problem without its location; else NULL */
} finmon_error;

/* Never NULL. Owned by the library and valid, with its strings, until the calling
   thread's next failing call: do not free. */
const finmon_error *finmon_error_last(void);

/* Frees a string the library returned. NULL is ignored. */
void finmon_string_free(char *string);

/* Call in a forked child (e.g. from os.register_at_fork(after_in_child=...)): the parent's
   threads do not exist there; this forgets them so the child can start its own. */
void finmon_after_fork_child(void);

/* ---- Collector -------------------------------------------------------------------- */

/* Creates a collector with the metric catalog registered. *out is owned by the caller
   and released with finmon_collector_free. */
int finmon_collector_new(finmon_collector **out);

/* Stops the collector's threads and releases it and every metric and series handle it
   gave out. NULL is ignored. */
void finmon_collector_free(finmon_collector *collector);

/* Stops every thread of the collector (exporter, samplers); blocks until they are joined.
   Then writes the final record if one is configured (FINMON_E_IO if that fails; the
   threads are stopped either way). The collector stays usable and can be started again. */
int finmon_collector_stop(finmon_collector *collector);

/* Writes metrics_final.json and the Prometheus text snapshot now, each atomically (temp
   file + rename). NULL arguments take the configured values, else ".",
   "metrics_final.json" and "prometheus_metrics_final.txt". */
int finmon_collector_export_final(finmon_collector *collector, const char *directory,
                                  const char *json_file, const char *prometheus_file);

/* Writes report.html (the live page's panels over the whole run, the alert timeline and a
   summary, one self-contained file) from a metrics_final.json that carries a history,
   atomically, to `report`. Reads and writes only these two paths; both borrowed.
   FINMON_E_INVALID_ARGUMENT if the file is not such a record, FINMON_E_IO if it cannot be
   read or the report cannot be written. */
int finmon_report_write(const char *final_json, const char *report);

/* Makes finmon_collector_stop write the final record, to these paths (NULL as above). */
int finmon_collector_configure_final_export(finmon_collector *collector, const char *directory,
                                            const char *json_file, const char *prometheus_file);

/* Text of another metrics library (a prometheus_client registry's exposition) for the
   exporter to serve on /metrics after finmon's own families: `text` (text_length bytes)
   for Prometheus text 0.0.4 scrapes, `openmetrics` (openmetrics_length bytes, without its
   "# EOF" line) for OpenMetrics scrapes. Both are copied; the exporter thread serves the
   latest copy as is, so the caller renders it again when its values change. Replaces the
   previous attachment; text and openmetrics both NULL detach it. Only the HTTP exporter
   serves it: finmon_collector_exposition and the final record stay finmon's own. */
int finmon_exporter_attach_exposition(finmon_collector *collector, const char *text, size_t text_length,
                                      const char *openmetrics, size_t openmetrics_length);

/* Renders the registry. *out (NUL-terminated, *length bytes without the NUL) is owned by
   the caller: free it with finmon_string_free. length may be NULL. */
int finmon_collector_exposition(finmon_collector *collector, finmon_format format, char **out, size_t *length);

/* The value of one sample, found as prometheus_client's get_sample_value does: by sample
   name (x, or x_bucket / x_sum / x_count of a histogram) and labels by name (with "le"
   for a bucket). FINMON_E_NOT_FOUND if there is no such sample. */
int finmon_collector_sample_value(finmon_collector *collector, const char *name,
                                  const char *const *label_names, const char *const *label_values,
                                  size_t label_count, double *value);

/* ---- Exporter --------------------------------------------------------------------- */

/* Serves GET /metrics and /healthz on address:port (address NULL means 127.0.0.1; port 0
   picks a free port). *bound_port receives the port, or -1 when the port is in use: then
   the exporter logs "Metrics export disabled, Prometheus unavailable" and retries every
   retry_seconds until it binds. bound_port may be NULL. */
int finmon_exporter_start(finmon_collector *collector, const char *address, int port,
                          double retry_seconds, int *bound_port);

/* Sets the limits the next finmon_exporter_start serves with (the config's
   monitoring.prometheus.max_connections, read_timeout_seconds, idle_timeout_seconds):
   at most max_connections connections at once (at the limit, the one waiting longest for
   a request is closed; 1..65536, default 128), read_timeout_seconds for a new connection
   to send a whole request (0.1..300, default 10), idle_timeout_seconds for a keep-alive
   connection between requests (0.1..3600, default 60). Connections closed by a limit count
   in finmon_exporter_connections_rejected_total{reason}. FINMON_E_INVALID_ARGUMENT, naming
   the argument, for a value out of its range; nothing changes then. */
int finmon_exporter_configure(finmon_collector *collector, int64_t max_connections,
                              double read_timeout_seconds, double idle_timeout_seconds);

/* Stops serving; collecting goes on. */
int finmon_exporter_stop(finmon_collector *collector);

/* The port being served, or -1 while stopped or waiting for the port. */
int finmon_exporter_port(finmon_collector *collector, int *port);

/* ---- Events ----------------------------------------------------------------------- */

/* Waits up to timeout_seconds for the next log or alert event and returns it as a JSON
   object {"level","logger","message","data"} in *out (caller frees with
   finmon_string_free), or *out = NULL on timeout or once the queue is closed. Blocking:
   call it from a thread of your own. */
int finmon_events_next(finmon_collector *collector, double timeout_seconds, char **out);

/* Wakes every finmon_events_next waiter; later calls return at once. */
int finmon_events_close(finmon_collector *collector);

/* ---- Metrics ---------------------------------------------------------------------- */

/* Registers a metric (or returns the existing one if the definition is identical).
   label_names has label_count entries (may be NULL when 0). buckets (histograms only;
   NULL and 0 for the defaults) are strictly increasing finite bounds; +Inf is implied.
   *out is owned by the collector. */
int finmon_metric_register(finmon_collector *collector, finmon_metric_type type, const char *name, const char *help,
                           const char *const *label_names, size_t label_count,
                           const double *buckets, size_t bucket_count, finmon_metric **out);

/* Finds a registered metric by name (e.g. one of the catalog's). *out is owned by the collector. */
int finmon_metric_lookup(finmon_collector *collector, const char *name, finmon_metric **out);

/* The metric's definition as a JSON object {"name","help","type","labels","buckets"}
   (buckets without the implied +Inf). *out is owned by the caller: finmon_string_free. */
int finmon_metric_describe(finmon_metric *metric, char **out);

/* Removes a metric from the collector; its handle and its series' handles become invalid. */
int finmon_metric_unregister(finmon_collector *collector, finmon_metric *metric);

/* The series for the given label values, created on first use. With label_names NULL the
   values are in the metric's label order; otherwise they are matched by name. Asking
   twice returns the same handle. Returns FINMON_DROPPED when the family reached its
   series limit: *out then writes nowhere, and finmon_dropped_series_total counts it.
   For a metric without labels pass label_count 0. *out is owned by the metric. */
int finmon_metric_labels(finmon_metric *metric, const char *const *label_names,
                         const char *const *label_values, size_t label_count, finmon_series **out);

/* Removes one series (its handle becomes invalid). *removed (may be NULL) is 1 if it existed. */
int finmon_metric_remove(finmon_metric *metric, const char *const *label_names,
                         const char *const *label_values, size_t label_count, int *removed);

/* Removes every series of a labeled metric; resets the value of a metric without labels. */
int finmon_metric_clear(finmon_metric *metric);

/* The number of stored series. */
int finmon_metric_series_count(finmon_metric *metric, size_t *count);

/* ---- Series ----------------------------------------------------------------------- */

/* Gauges only. NaN and infinities are stored and exposed as NaN / +Inf / -Inf. */
int finmon_series_set(finmon_series *series, double value);
/* Counters (finite, >= 0) and gauges. */
int finmon_series_inc(finmon_series *series, double amount);
/* Gauges only. */
int finmon_series_dec(finmon_series *series, double amount);
/* Histograms only; NaN is refused. */
int finmon_series_observe(finmon_series *series, double value);
/* The counter or gauge value; a histogram's sample count. */
int finmon_series_get(finmon_series *series, double *value);

/* Applies count updates in one call: handles[i] is a finmon_series handle as an integer,
   ops[i] a finmon_batch_op, values[i] its argument. All entries are checked first; on a
   bad one nothing is applied and *failed_index (may be NULL) names it. */
int finmon_batch_apply(const uint64_t *handles, const uint8_t *ops, const double *values,
                       size_t count, size_t *failed_index);

/* ---- Loop hooks and diversity ----------------------------------------------------- */

/* The hooks never stop the loop. A value a hook cannot use (NaN or an infinity, a
   negative count, unique_count > total_count, a negative iteration) is skipped, the rest
   is recorded, the status is FINMON_OK, and the skip is counted in
   finmon_rejected_values_total{hook,reason} with one "warning" event per hook and reason
   (then at most one a minute). An iteration below the last one recorded is a loop
   restart: the success window starts over, champion staleness counts from the restart
   iteration. A collector made strict with finmon_collector_set_strict refuses such a call
   instead (FINMON_E_INVALID_ARGUMENT, nothing changed), as tests want. NULL or freed
   handles, unknown flag bits and the like are FINMON_E_* in either mode. */

/* strict non-zero: hooks refuse values they cannot use instead of skipping them. */
int finmon_collector_set_strict(finmon_collector *collector, int strict);
/* *strict = 1 when the collector is strict, else 0. */
int finmon_collector_strict(finmon_collector *collector, int *strict);

/* Bits of finmon_loop_record_iteration's flags: which optional figures are present (a
   flag rather than a NaN sentinel, because NaN is a value the hooks must refuse). */
typedef enum finmon_loop_flag {
    FINMON_LOOP_HAS_SHARPE = 1,
    FINMON_LOOP_HAS_MAX_DRAWDOWN = 2
} finmon_loop_flag;

/* Records one iteration's outcome in one call: observes execution_time_seconds, counts
   strategy_success_total or strategy_failure_total, sets strategy_success_rate (over the
   last N outcomes, N = the success window, default 10), strategy_sharpe_ratio and
   strategy_max_drawdown (only when their flag is set), loop_iteration, and moves
   champion_staleness_iterations to this iteration. success is 0 (failure) or non-zero.
   Skipped (refused when strict): iteration < 0 (the outcome counts, loop_iteration stays),
   execution_seconds negative or not finite (not observed), a flagged sharpe or
   max_drawdown that is not finite (not set); an iteration before the last recorded one is
   a restart (an equal one is an ordinary second outcome). Unknown flag bits:
   FINMON_E_INVALID_ARGUMENT. */
int finmon_loop_record_iteration(finmon_collector *collector, int64_t iteration, int success,
                                 double execution_seconds, double sharpe, double max_drawdown, int flags);

/* Sets the rolling success-rate window (iterations, >= 1) and the diversity history size
   (values kept, >= 1). Meant for start-up: a changed size starts that rolling state over
   (the registry's counters keep their values). */
int finmon_loop_configure(finmon_collector *collector, int64_t success_window, int64_t history_size);

/* The success fraction over the outcomes in the window so far (the gauge's value), NaN
   before the first outcome; *window_full (may be NULL) is 1 once the window holds N
   outcomes, which is when the alert rule considers the rate. */
int finmon_loop_success_rate(finmon_collector *collector, double *rate, int *window_full);

/* DiversityMonitor.record_diversity: keeps the sample in a bounded history (default 1,000)
   and sets population_diversity, unique_strategy_count, population_size and
   champion_staleness_iterations. Skipped (refused when strict): diversity NaN or outside
   [0, 1] (no sample, the counts are still set), a negative count or unique_count >
   total_count (that gauge stays), iteration < 0 (the gauges are set, the history takes no
   sample); an iteration before the last recorded diversity iteration is a restart. */
int finmon_diversity_record(finmon_collector *collector, int64_t iteration, double diversity,
                            int64_t unique_count, int64_t total_count);

/* DiversityMonitor.record_champion_update: counts champion_updates_total, sets
   champion_sharpe_ratio to new_sharpe and resets the staleness. old_sharpe is read only
   when has_old_sharpe is non-zero (0 for the first champion). Skipped (refused when
   strict): a new_sharpe that is not finite (the update counts, the ratio stays), an
   old_sharpe that is not finite such as -inf for "no champion yet" (read as none),
   iteration < 0 (the staleness reference stays); an iteration before the last champion
   update is a restart. */
int finmon_diversity_record_champion_update(finmon_collector *collector, int64_t iteration,
                                            int has_old_sharpe, double old_sharpe, double new_sharpe);

/* *out = 1 when each of the last `window` recorded diversity values is below threshold,
   else 0 (also while fewer than `window` values are held). O(window). window must be
   >= 1 and threshold not NaN (FINMON_E_INVALID_ARGUMENT). */
int finmon_diversity_check_collapse(finmon_collector *collector, int window, double threshold, int *out);

/* DiversityMonitor.calculate_staleness: *out = max(0, current - last_update) (saturating),
   also written to champion_staleness_iterations. A negative iteration is skipped (*out =
   0, the gauge stays; refused when strict). */
int finmon_diversity_staleness(finmon_collector *collector, int64_t current_iteration,
                               int64_t last_update_iteration, int64_t *out);

/* Population diversity of `rows` vectors of `cols` parameters each, row-major in `values`,
   within the search space's bounds: parameter d ranges over lower[d]..upper[d] (`cols`
   values each; all three arrays borrowed for the call, not copied). With
   y = clamp((x - lower) / (upper - lower), 0, 1) (0 for a parameter with lower == upper):
       diversity = min(1, sqrt(4 / (N^2 * L) * sum_{i<j} ||y_i - y_j||^2))
                 = 2 * sqrt(mean over parameters of the population variance of y),
   computed in O(N * L). Scaled by the bounds, never by the population's own spread, so a
   population converged within 1% of the space scores about 0.01. 0 for identical vectors
   or N = 1, 1 at most. FINMON_E_INVALID_ARGUMENT for rows or cols 0, a non-finite value,
   rows * cols overflowing, a bound that is not finite or lower[d] > upper[d]. */
int finmon_diversity_compute(const double *values, size_t rows, size_t cols, const double *lower,
                             const double *upper, double *out);

/* The minimum (lower[d]) and maximum (upper[d]) of each parameter over `rows` vectors of
   `cols` values, row-major in `values`: the bounds to freeze from a reference population
   when the search space has none. lower and upper receive `cols` values each (untouched on
   failure). Errors as finmon_diversity_compute. */
int finmon_diversity_ranges(const double *values, size_t rows, size_t cols, double *lower, double *upper);

/* Genotype diversity of `rows` strategies of `cols` non-numeric genes each, row-major in
   `codes` (equal codes are equal genes): the mean normalised Hamming distance over all
   pairs of distinct strategies, counted per position in O(N * L). 0 when all are equal or
   N = 1, 1 when every two strategies differ at every position. FINMON_E_INVALID_ARGUMENT
   for rows or cols 0 or rows * cols overflowing. */
int finmon_diversity_genotype(const uint64_t *codes, size_t rows, size_t cols, double *out);

/* Distinct fingerprints over all of them, compared as bytes: fingerprints[i] has
   lengths[i] bytes (NUL allowed; NULL only when its length is 0), borrowed for the call.
   *fraction is 0 for count 0; *unique_count (may be NULL) receives the distinct count. */
int finmon_diversity_unique_fraction(const char *const *fingerprints, const size_t *lengths, size_t count,
                                     double *fraction, size_t *unique_count);

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

/* ---- Settings table ---------------------------------------------------------------- */

/* The renderings of the settings table (every key of monitoring_config.yaml). */
typedef enum finmon_config_schema_format {
    FINMON_CONFIG_SCHEMA_JSON = 0,     /* [{"path", "kind", "type", "default", "doc", "design", bounds...}] */
    FINMON_CONFIG_SCHEMA_MARKDOWN = 1, /* the README's settings table */
    FINMON_CONFIG_SCHEMA_YAML = 2      /* a monitoring_config.yaml with every default, commented */
} finmon_config_schema_format;

/* *out receives the table in `format` (a finmon_config_schema_format; another value is
   FINMON_E_INVALID_ARGUMENT); caller frees it with finmon_string_free. */
int finmon_config_schema(finmon_config_schema_format format, char **out);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_H */
