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
/* Maps a counter's or a histogram's cell with its host shard: words the host adds to
   itself, so an increment or an observation is a few stores instead of a call. *cell
   receives the address of *words doubles in the library's memory (words may be NULL):
   cell[0] belongs to the library (the host never writes it), cell[1] is the removed
   flag as for finmon_series_cell. A counter (3 words): cell[2] is the host's total of
   increments. A histogram with n buckets, the last +Inf (3 + 2n words): cell[2] is the
   host's sum of observations, cell[3 + i] its count of observations in bucket i (the
   first i with value <= bound i), cell[3 + n + i] bound i (read-only). The library
   adds the shard to its own part wherever it reads the series (scrapes, samples,
   history, the final export), and writes no shard word: the host must serialize its
   own writers (a lock), store each word with one aligned 8-byte store, and only ever
   increase counts and a counter's total.
   A scrape then sees counters and buckets that never decrease and a _count equal to the
   +Inf bucket. After its writes the host reads cell[1] (or the count of
   finmon_series_removals) as after a finmon_series_cell store; an update that reached a
   removed series is lost with it and is made again on the re-created series. Pinned as
   finmon_series_cell pins, released with finmon_series_cell_release. FINMON_E_WRONG_TYPE
   for a gauge; FINMON_E_STATE for a series of a multiprocess collector. */
int finmon_series_shard(finmon_series *series, double **cell, size_t *words);
/* *count receives the address of a process-wide count of series removals (library
   memory, valid until the process exits; the host only reads it, with an aligned 8-byte
   load). A host
   that mapped many cells reads this one word after its stores: unchanged, no cell it
   wrote belongs to a series removed meanwhile; changed, it checks each cell's flag. */
int finmon_series_removals(uint64_t **count);
/* Drops one pin of a cell finmon_series_cell or finmon_series_shard returned; the last one frees it once the
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
