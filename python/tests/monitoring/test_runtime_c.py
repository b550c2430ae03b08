"""One-call start from C: a C program, compiled here with every warning an error, starts
everything from a config file with finmon_runtime_start, records a few iterations through
the runtime's collector, scrapes its own exporter over a socket at the config's
metrics_path, and stops (which writes the final record)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from cprogram import compile_c

C_PROGRAM = textwrap.dedent(r"""
    #include "finmon.h"
    #include <arpa/inet.h>
    #include <netinet/in.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/socket.h>
    #include <time.h>
    #include <unistd.h>

    #define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "failed: %s (%s)\n", #cond, finmon_last_error()); return 1; } } while (0)

    /* GET path from 127.0.0.1:port; the whole response (headers and body) into buffer. */
    static int get(int port, const char *path, char *buffer, size_t size) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return -1;
        struct sockaddr_in address;
        memset(&address, 0, sizeof address);
        address.sin_family = AF_INET;
        address.sin_port = htons((unsigned short)port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&address, sizeof address) != 0) { close(fd); return -1; }
        char request[256];
        int length = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
        if (write(fd, request, (size_t)length) != length) { close(fd); return -1; }
        size_t used = 0;
        ssize_t got;
        while (used + 1 < size && (got = read(fd, buffer + used, size - 1 - used)) > 0) used += (size_t)got;
        buffer[used] = 0;
        close(fd);
        return 0;
    }

    static void pause_briefly(void) {
        struct timespec wait = {0, 50 * 1000 * 1000};
        nanosleep(&wait, NULL);
    }

    int main(int argc, char **argv) {
        CHECK(argc == 3);
        finmon_runtime *runtime = NULL;
        CHECK(finmon_runtime_start(argv[1], NULL, &runtime) == FINMON_OK);

        finmon_collector *collector = NULL;
        CHECK(finmon_runtime_collector(runtime, &collector) == FINMON_OK && collector != NULL);
        for (int i = 1; i <= 3; i++) {
            CHECK(finmon_loop_record_iteration(collector, i, 1, 0.25, 1.5, -0.1,
                                               FINMON_LOOP_HAS_SHARPE | FINMON_LOOP_HAS_MAX_DRAWDOWN) == FINMON_OK);
        }
        CHECK(finmon_diversity_record(collector, 3, 0.4, 8, 10) == FINMON_OK);

        int port = -1;
        CHECK(finmon_runtime_port(runtime, &port) == FINMON_OK && port > 0);
        char *config = NULL;
        CHECK(finmon_runtime_config(runtime, &config) == FINMON_OK);
        CHECK(strstr(config, "\"metrics_path\":\"/loop/metrics\"") != NULL);
        finmon_string_free(config);

        /* Scrape ourselves until the resource sampler's first sample is in. */
        static char response[1 << 20];
        int sampled = 0;
        for (int attempt = 0; attempt < 400 && !sampled; attempt++) {
            CHECK(get(port, "/loop/metrics", response, sizeof response) == 0);
            sampled = strstr(response, "\nsystem_memory_total_bytes ") != NULL;
            if (!sampled) pause_briefly();
        }
        CHECK(sampled);
        CHECK(strncmp(response, "HTTP/1.1 200", 12) == 0);
        CHECK(strstr(response, "\nstrategy_success_total 3.0\n") != NULL);
        CHECK(strstr(response, "\npopulation_diversity 0.4\n") != NULL);
        FILE *out = fopen(argv[2], "w");
        CHECK(out != NULL);
        fputs(response, out);
        fclose(out);

        static char other[4096];
        CHECK(get(port, "/metrics", other, sizeof other) == 0);
        CHECK(strncmp(other, "HTTP/1.1 404", 12) == 0);

        CHECK(finmon_runtime_stop(runtime) == FINMON_OK);
        CHECK(finmon_runtime_stop(runtime) == FINMON_OK);
        finmon_runtime_free(runtime);
        finmon_runtime_free(NULL);
        CHECK(finmon_runtime_stop(runtime) == FINMON_E_INVALID_HANDLE);
        CHECK(finmon_loop_record_iteration(collector, 4, 1, 0.1, 0, 0, 0) == FINMON_E_INVALID_HANDLE);

        /* A bad config starts nothing and says where the problem is. */
        CHECK(finmon_runtime_start(argv[1], "{\"monitoring.prometheus.port\": -1}", &runtime) == FINMON_E_CONFIG);
        CHECK(strstr(finmon_last_error(), "monitoring.prometheus.port") != NULL);
        printf("%d\n", port);
        return 0;
    }
""")


def test_a_c_program_starts_everything_from_a_config_file_and_scrapes_itself(tmp_path: Path) -> None:
    binary, env = compile_c(tmp_path, C_PROGRAM, "runtime_client", flags=("-D_POSIX_C_SOURCE=200809L",))
    export = tmp_path / "export"
    export.mkdir()
    config = tmp_path / "monitoring_config.yaml"
    config.write_text(textwrap.dedent(f"""\
        monitoring:
          prometheus: {{port: 0, metrics_path: /loop/metrics}}
          resource_monitor: {{collection_interval: 0.1}}
          container_monitor: {{enabled: false}}
          alerts: {{log_file: null}}
          export:
            directory: "{export}"
            final_metrics_path: run.json
            prometheus_snapshot_path: run.prom
        """))
    scraped = tmp_path / "scraped.txt"
    run = subprocess.run([str(binary), str(config), str(scraped)], capture_output=True, text=True, timeout=120,
                         env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) > 0
    body = scraped.read_bytes().decode().split("\r\n\r\n", 1)[1]
    assert "# TYPE system_cpu_usage_percent gauge" in body and "\nstrategy_sharpe_ratio 1.5\n" in body
    # The final record, where the config put it, written once at stop.
    record = json.loads((export / "run.json").read_text())
    assert record["run"]["iterations"] == 3
    assert "strategy_success_total 3.0" in (export / "run.prom").read_text()
    assert not (tmp_path / "metrics_final.json").exists()
