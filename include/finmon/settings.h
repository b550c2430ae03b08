/*
 * finmon/settings.h -- Settings table.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_SETTINGS_H
#define FINMON_SETTINGS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#endif /* FINMON_SETTINGS_H */
