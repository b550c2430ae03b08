/*
 * finmon/metrics.h -- Metrics.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_METRICS_H
#define FINMON_METRICS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* finmon_metric_labels with the values packed in one buffer: the UTF-8 of each label value
   in the metric's label order, separated by one NUL byte, `length` bytes in all (no
   terminator needed; `values` may be NULL when length is 0). A metric with n labels takes
   n values (n - 1 NULs; length 0 is one empty value); one without labels takes length 0.
   A host builds the buffer with one join, no array of pointers. The buffer is only read
   during the call. *out is owned by the metric, as for finmon_metric_labels. */
int finmon_metric_labels_packed(finmon_metric *metric, const char *values, size_t length, finmon_series **out);

/* finmon_metric_remove with the values packed as for finmon_metric_labels_packed. */
int finmon_metric_remove_packed(finmon_metric *metric, const char *values, size_t length, int *removed);

/* Removes the series stored under the label values of `series`, a series handle of this
   metric (what finmon_metric_remove does with those values, without passing them again):
   the series itself, or the one created for the same values after it was removed. Both
   handles stay owned by the library; `series`' becomes invalid. FINMON_E_INVALID_HANDLE
   when `series` is no live handle (freed by an earlier removal): the host then removes by
   values. *removed (may be NULL) is 1 if a series was stored under them. */
int finmon_metric_remove_series(finmon_metric *metric, finmon_series *series, int *removed);

/* Removes every series of a labeled metric; resets the value of a metric without labels. */
int finmon_metric_clear(finmon_metric *metric);

/* The number of stored series. */
int finmon_metric_series_count(finmon_metric *metric, size_t *count);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_METRICS_H */
