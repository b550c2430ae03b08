/*
 * finmon/types.h -- Version, status codes, enums and the opaque handles every part uses.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_TYPES_H
#define FINMON_TYPES_H

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

#ifdef __cplusplus
}
#endif

#endif /* FINMON_TYPES_H */
