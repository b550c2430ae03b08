/*
 * finmon/series.h -- Series.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_SERIES_H
#define FINMON_SERIES_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/* Maps a gauge's value cell, so a host sets the gauge with a store instead of a call.
   *cell receives the address of two doubles in the library's memory: cell[0] is the
   value, cell[1] is 0.0 until the series is removed from its family, then 1.0. A host
   stores the new value in cell[0] (one aligned 8-byte store; the library reads the cell
   atomically, so a scrape never sees a torn value), then reads cell[1]: 1.0 means the
   store reached a removed series, and the host asks for its labels again
   (finmon_metric_labels) as after FINMON_E_INVALID_HANDLE. Each call pins the cell once:
   its memory stays valid, even after the series is removed or its collector freed, until
   finmon_series_cell_release is called with it as many times. After fork(), a child's
   stores reach its own copy only. FINMON_E_WRONG_TYPE for a counter or histogram;
   FINMON_E_STATE for a series of a multiprocess collector (its sets must also reach the
   process's slot of the run's segment: the host keeps calling finmon_series_set). */
int finmon_series_cell(finmon_series *series, double **cell);
/* Drops one pin of a cell finmon_series_cell returned; the last one frees it once the
   series is gone too. FINMON_E_INVALID_ARGUMENT for an address no pinned cell has. */
int finmon_series_cell_release(const double *cell);

/* Applies count updates in one call: handles[i] is a finmon_series handle as an integer,
   ops[i] a finmon_batch_op, values[i] its argument. All entries are checked first; on a
   bad one nothing is applied and *failed_index (may be NULL) names it. */
int finmon_batch_apply(const uint64_t *handles, const uint8_t *ops, const double *values,
                       size_t count, size_t *failed_index);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_SERIES_H */
