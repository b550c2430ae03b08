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

/* Applies count updates in one call: handles[i] is a finmon_series handle as an integer,
   ops[i] a finmon_batch_op, values[i] its argument. All entries are checked first; on a
   bad one nothing is applied and *failed_index (may be NULL) names it. */
int finmon_batch_apply(const uint64_t *handles, const uint8_t *ops, const double *values,
                       size_t count, size_t *failed_index);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_SERIES_H */
