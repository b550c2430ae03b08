/*
 * finmon/collector.h -- Collector.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_COLLECTOR_H
#define FINMON_COLLECTOR_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif

#endif /* FINMON_COLLECTOR_H */
