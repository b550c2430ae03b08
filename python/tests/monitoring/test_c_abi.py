"""The C ABI as a C program sees it: the header compiles strictly and matches the exports,
and Python's generated bindings match the header as the C compiler reads it (every
signature and every constant, not only the names)."""

from __future__ import annotations

import ctypes
import json
import re
import shutil
import subprocess
import textwrap
from enum import IntEnum, IntFlag
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cprogram import compile_c

from finmon import _bindings, _native

ROOT = Path(__file__).resolve().parents[3]
HEADER = ROOT / "include" / "finmon.h"
#: finmon.h's parts (libgit2's layout: git2.h includes git2/*.h).
PARTS = ROOT / "include" / "finmon"


def header_files() -> list[Path]:
    return [HEADER, *sorted(PARTS.glob("*.h"))]


def header_functions() -> set[str]:
    text = re.sub(r"/\*.*?\*/", "", "".join(path.read_text() for path in header_files()), flags=re.S)
    return set(re.findall(r"\b(finmon_[a-z0-9_]+)\s*\(", text))


def exported_functions() -> set[str]:
    out = subprocess.run(["nm", "-D", "--defined-only", str(_native.library_path())],
                         check=True, capture_output=True, text=True).stdout
    symbols = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "T":
            symbols.add(parts[2])
    return symbols


def test_every_export_has_a_prototype_and_every_prototype_is_exported() -> None:
    exported = exported_functions()
    declared = header_functions()
    assert exported, "no symbols exported"
    assert all(name.startswith("finmon_") for name in exported), exported
    assert exported - declared == set(), "exported without a prototype"
    assert declared - exported == set(), "declared but not exported"


@cache
def clang_ast() -> list[dict[str, Any]]:
    """The header's top-level declarations as clang parses them (a C compiler, not the
    generator's own reader of the header)."""
    clang = shutil.which("clang")
    assert clang, "clang (part of the Swift toolchain) is needed to read the header"
    dump = subprocess.run([clang, "-x", "c", "-std=c11", "-Xclang", "-ast-dump=json", "-fsyntax-only", str(HEADER)],
                          check=True, capture_output=True, text=True).stdout
    # clang's JSON names a node's file only where it differs from the previous node's.
    ours = {str(path) for path in header_files()}
    nodes, current = [], ""
    for node in json.loads(dump)["inner"]:
        current = node.get("loc", {}).get("file", current)
        if current in ours or node.get("name", "").startswith("finmon_"):
            nodes.append(node)
    return nodes


def ctypes_name(kind: Any) -> str:
    """A ctypes type (or None) as a comparable name."""
    if kind is None:
        return "void"
    if hasattr(kind, "_type_") and not isinstance(kind._type_, str):
        return f"POINTER({ctypes_name(kind._type_)})"
    return kind.__name__


def camel(c_name: str) -> str:
    return "".join(part.capitalize() for part in c_name.removeprefix("finmon_").split("_"))


def expected_ctypes(qual_type: str, enums: set[str], opaque: set[str], *, result: bool) -> str:
    """The ctypes type the bindings must give a C type, by the rules README's ABI section
    states: handles and caller-freed strings are addresses, input arrays take an address."""
    scalars = {"int": ctypes.c_int, "double": ctypes.c_double, "size_t": ctypes.c_size_t, "int64_t": ctypes.c_int64,
               "uint64_t": ctypes.c_uint64, "uint8_t": ctypes.c_uint8}
    bare = qual_type.replace("const ", "").replace(" *const", " *").strip()
    base, stars = bare.rstrip(" *"), bare.count("*")
    if bare == "void":
        return "void"
    if stars == 0:
        return "c_int" if base in enums else ctypes_name(scalars[base])
    if base == "char":
        if stars == 1:
            return "c_char_p" if qual_type.startswith("const") or result else "c_void_p"
        return "POINTER(c_char_p)" if qual_type.startswith("const") else "POINTER(c_void_p)"
    if base in opaque:
        return "c_void_p" if stars == 1 else "POINTER(c_void_p)"
    if base.startswith("finmon_") and stars == 1:  # a struct the header defines
        return f"POINTER({camel(base)})"
    if qual_type.startswith("const"):
        return "c_void_p"
    if stars == 2:  # `double **out`: an address the library hands back (a mapped cell)
        return "POINTER(c_void_p)"
    return f"POINTER({ctypes_name(scalars[base])})"


def test_bindings_match_every_signature_clang_reads_in_the_header() -> None:
    nodes = clang_ast()
    enums = {node["name"] for node in nodes if node["kind"] == "TypedefDecl"
             and node["type"].get("qualType", "").startswith("enum ")}
    opaque = {node["name"] for node in nodes if node["kind"] == "RecordDecl" and not node.get("completeDefinition")}
    functions = {node["name"]: node for node in nodes if node["kind"] == "FunctionDecl"}
    assert set(functions) == set(_bindings.PROTOTYPES) == header_functions()
    for name, node in functions.items():
        params = [p["type"]["qualType"] for p in node.get("inner", []) if p["kind"] == "ParmVarDecl"]
        result = node["type"]["qualType"].split("(")[0].strip()
        restype, argtypes = _bindings.PROTOTYPES[name]
        assert ctypes_name(restype) == expected_ctypes(result, enums, opaque, result=True), name
        assert [ctypes_name(a) for a in argtypes] == [expected_ctypes(p, enums, opaque, result=False) for p in params], name
        # The loaded library carries the prototype on both views.
        for library in (_native.hot, _native.blocking):
            assert getattr(library, name).argtypes == argtypes, name


def test_bindings_lay_out_every_struct_as_clang_reads_it() -> None:
    structs = [node for node in clang_ast() if node["kind"] == "RecordDecl" and node.get("completeDefinition")
               and node.get("name", "").startswith("finmon_")]
    assert [node["name"] for node in structs] == ["finmon_error"]
    for node in structs:
        fields = [(field["name"], field["type"]["qualType"]) for field in node["inner"] if field["kind"] == "FieldDecl"]
        python = getattr(_bindings, camel(node["name"]))
        assert [name for name, _ in python._fields_] == [name for name, _ in fields]
        assert [ctypes_name(kind) for _, kind in python._fields_] == \
            [expected_ctypes(c_type, set(), set(), result=True) for _, c_type in fields]


def test_bindings_match_every_constant_clang_reads_in_the_header() -> None:
    classes = {name: value for name, value in vars(_bindings).items()
               if isinstance(value, type) and issubclass(value, (IntEnum, IntFlag))}
    seen = 0
    for node in clang_ast():
        if node["kind"] != "EnumDecl" or not node.get("name"):
            continue
        members = {c["name"]: int(c["inner"][0]["value"]) for c in node["inner"] if c["kind"] == "EnumConstantDecl"}
        python = classes[camel(node["name"])]
        assert sorted(members.values()) == sorted(member.value for member in python), node["name"]
        for c_name, value in members.items():
            assert any(c_name.endswith(member.name) and member.value == value for member in python), c_name
        seen += len(members)
    assert seen == sum(len(python) for python in classes.values()) and seen > 40
    # The version macros, as the library reports its version.
    assert (_bindings.VERSION_MAJOR, _bindings.VERSION_MINOR, _bindings.VERSION_PATCH) == \
        tuple(int(part) for part in _native.version().split("."))


def test_version_macros_match_the_library() -> None:
    text = "".join(path.read_text() for path in header_files())
    major = re.search(r"#define FINMON_VERSION_MAJOR (\d+)", text)
    minor = re.search(r"#define FINMON_VERSION_MINOR (\d+)", text)
    patch = re.search(r"#define FINMON_VERSION_PATCH (\d+)", text)
    assert major and minor and patch
    assert _native.version() == f"{major[1]}.{minor[1]}.{patch[1]}"


C_PROGRAM = textwrap.dedent(r"""
    #include "finmon.h"
    #include <math.h>
    #include <stdio.h>
    #include <string.h>

    #define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "failed: %s (%s)\n", #cond, finmon_last_error()); return 1; } } while (0)

    int main(void) {
        finmon_collector *collector = NULL;
        CHECK(finmon_collector_new(&collector) == FINMON_OK);

        finmon_metric *diversity = NULL;
        CHECK(finmon_metric_lookup(collector, "population_diversity", &diversity) == FINMON_OK);
        finmon_series *only = NULL;
        CHECK(finmon_metric_labels(diversity, NULL, NULL, 0, &only) == FINMON_OK);
        CHECK(finmon_series_set(only, 0.4) == FINMON_OK);

        const char *names[] = {"container_id"};
        const char *values[] = {"abc"};
        finmon_metric *memory = NULL;
        CHECK(finmon_metric_lookup(collector, "container_memory_usage_bytes", &memory) == FINMON_OK);
        finmon_series *child = NULL;
        CHECK(finmon_metric_labels(memory, names, values, 1, &child) == FINMON_OK);
        CHECK(finmon_series_set(child, 1e6) == FINMON_OK);

        double value = 0;
        CHECK(finmon_collector_sample_value(collector, "container_memory_usage_bytes", names, values, 1, &value) == FINMON_OK);
        CHECK(value == 1e6);

        /* Misuse gets a status and a message, never a crash; out-parameters stay untouched. */
        CHECK(finmon_series_inc(NULL, 1) == FINMON_E_NULL_POINTER);
        CHECK(strstr(finmon_last_error(), "NULL") != NULL);
        CHECK(finmon_series_set((finmon_series *)(uintptr_t)0xdead0001u, 1) == FINMON_E_INVALID_HANDLE);
        double untouched = 42;
        CHECK(finmon_series_get((finmon_series *)(uintptr_t)0x7, &untouched) == FINMON_E_INVALID_HANDLE);
        CHECK(untouched == 42);
        finmon_metric *counter = NULL;
        CHECK(finmon_metric_lookup(collector, "strategy_success_total", &counter) == FINMON_OK);
        finmon_series *successes = NULL;
        CHECK(finmon_metric_labels(counter, NULL, NULL, 0, &successes) == FINMON_OK);
        CHECK(finmon_series_inc(successes, -1) == FINMON_E_INVALID_ARGUMENT);
        CHECK(finmon_series_inc(successes, NAN) == FINMON_E_INVALID_ARGUMENT);

        /* Handles carry their kind: one kind where another is expected is refused, never
           taken for whatever object of the other kind has the same slot. */
        CHECK(finmon_series_set((finmon_series *)(void *)collector, 1) == FINMON_E_INVALID_HANDLE);
        CHECK(strstr(finmon_last_error(), "a finmon_collector handle, not a finmon_series") != NULL);
        CHECK(finmon_metric_clear((finmon_metric *)(void *)only) == FINMON_E_INVALID_HANDLE);
        CHECK(finmon_collector_stop((finmon_collector *)(void *)diversity) == FINMON_E_INVALID_HANDLE);
        CHECK(finmon_series_get(only, &value) == FINMON_OK && value == 0.4);

        /* Structured error details, as libgit2's git_error_last(). */
        const finmon_error *details = finmon_error_last();
        CHECK(details->status == FINMON_E_INVALID_HANDLE && details->file == NULL && details->key_path == NULL);
        CHECK(strcmp(details->message, finmon_last_error()) == 0);
        char *parsed = NULL;
        CHECK(finmon_config_parse("alerts:\n  memory_threshold_percent: 150\n", "c.yaml", &parsed) == FINMON_E_CONFIG);
        CHECK(parsed == NULL);
        details = finmon_error_last();
        CHECK(details->status == FINMON_E_CONFIG && strcmp(details->file, "c.yaml") == 0 && details->line == 2);
        CHECK(strcmp(details->key_path, "alerts.memory_threshold_percent") == 0);
        CHECK(strstr(details->reason, "150") != NULL && strstr(details->reason, "c.yaml") == NULL);
        CHECK(finmon_series_set(successes, 1) == FINMON_E_WRONG_TYPE);
        finmon_metric *bad = NULL;
        CHECK(finmon_metric_register(collector, FINMON_GAUGE, "bad name", "h", NULL, 0, NULL, 0, &bad) == FINMON_E_INVALID_NAME);
        CHECK(bad == NULL);
        const char invalid_utf8[] = {'o', (char)0xff, 0};
        CHECK(finmon_metric_register(collector, FINMON_GAUGE, invalid_utf8, "h", NULL, 0, NULL, 0, &bad) == FINMON_E_INVALID_UTF8);

        char *text = NULL;
        size_t length = 0;
        CHECK(finmon_collector_exposition(collector, FINMON_FORMAT_PROMETHEUS_TEXT, &text, &length) == FINMON_OK);
        CHECK(strstr(text, "population_diversity 0.4\n") != NULL);
        CHECK(strlen(text) == length);
        finmon_string_free(text);
        finmon_string_free(NULL);

        int port = -1;
        CHECK(finmon_exporter_start(collector, "127.0.0.1", 0, 5.0, &port) == FINMON_OK);
        CHECK(port > 0);
        printf("%s %d\n", finmon_version(), port);
        CHECK(finmon_collector_stop(collector) == FINMON_OK);
        finmon_collector_free(collector);
        finmon_collector_free(NULL);
        CHECK(finmon_collector_stop(collector) == FINMON_E_INVALID_HANDLE);
        return 0;
    }
""")


def test_a_handle_of_another_kind_is_refused_through_ctypes() -> None:
    import finmon
    from finmon._bindings import Status

    with finmon.MetricsCollector() as collector:
        child = collector.population_diversity._only()
        child.set(0.25)
        collector_handle = collector._live_handle()
        # The collector's handle where a series goes, and the series' where a collector goes.
        assert _native.hot.finmon_series_set(collector_handle, 1.0) == Status.INVALID_HANDLE
        assert "a finmon_collector handle, not a finmon_series" in _native.last_error()
        out = ctypes.c_int()
        assert _native.hot.finmon_exporter_port(child._handle, ctypes.byref(out)) == Status.INVALID_HANDLE
        assert "a finmon_series handle, not a finmon_collector" in _native.last_error()
        assert collector.get_sample_value("population_diversity") == 0.25


def test_a_c_program_compiles_with_all_warnings_as_errors_and_runs(tmp_path: Path) -> None:
    binary, env = compile_c(tmp_path, C_PROGRAM)
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 0, run.stderr
    version, port = run.stdout.split()
    assert version == _native.version() and int(port) > 0


def test_library_is_self_contained() -> None:
    out = subprocess.run(["ldd", str(_native.library_path())], check=True, capture_output=True, text=True).stdout
    needed = {line.split()[0] for line in out.splitlines() if "=>" in line}
    # libcrypt.so.1: libxcrypt's bcrypt for the exporter's basic auth (Debian's libcrypt1,
    # part of every system). BoringSSL, with the TLS trait, is linked in statically.
    allowed = {"libc.so.6", "libm.so.6", "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1", "libyaml-0.so.2",
               "libcrypt.so.1"}
    assert needed <= allowed, needed - allowed
    soname = subprocess.run(["objdump", "-p", str(_native.library_path())], capture_output=True, text=True).stdout
    # The SONAME carries the ABI major (README, "ABI versions"), which is the header's.
    assert re.search(rf"SONAME\s+libfinmon\.so\.{_bindings.VERSION_MAJOR}\n", soname)


@pytest.mark.parametrize("symbol", ["swift_retain", "$s7NIOCore10ByteBufferVN", "CNIOBoringSSL_SSL_CTX_new"])
def test_only_finmon_symbols_are_global(symbol: str) -> None:
    assert symbol not in exported_functions()
