/*
 * finmon/exporter.h -- Exporter.
 *
 * A part of finmon.h: include "finmon.h", whose comment states the conventions
 * (status codes, ownership, threads) every declaration here follows.
 */
#ifndef FINMON_EXPORTER_H
#define FINMON_EXPORTER_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Exporter --------------------------------------------------------------------- */

/* Serves GET /metrics and /healthz on address:port (address NULL means 127.0.0.1; port 0
   picks a free port). *bound_port receives the port, or -1 when the port is in use: then
   the exporter logs "Metrics export disabled, Prometheus unavailable" and retries every
   retry_seconds until it binds. bound_port may be NULL. With a web config
   (finmon_exporter_configure_web) everything is served behind its TLS and basic auth. */
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

/* Sets the TLS and basic authentication the next finmon_exporter_start serves with: a web
   configuration file in Prometheus exporter-toolkit's format (the config's
   monitoring.prometheus.web_config_file; tls_server_config, basic_auth_users with bcrypt
   hashes; relative paths in it resolve against its folder). The file, the certificate, key
   and hashes it names are loaded and checked now: FINMON_E_CONFIG for a problem, with
   finmon_error_last()'s file, line and key_path (e.g. "tls_server_config.cert_file");
   nothing changes then. A library built without the TLS trait refuses every web config
   (FINMON_E_CONFIG). web_config_file NULL: plain HTTP, no authentication. Borrowed for the
   call only. */
int finmon_exporter_configure_web(finmon_collector *collector, const char *web_config_file);

/* Stops serving; collecting goes on. */
int finmon_exporter_stop(finmon_collector *collector);

/* The port being served, or -1 while stopped or waiting for the port. */
int finmon_exporter_port(finmon_collector *collector, int *port);

#ifdef __cplusplus
}
#endif

#endif /* FINMON_EXPORTER_H */
