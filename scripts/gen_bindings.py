#!/usr/bin/env python3
"""Generates python/finmon/_bindings.py from include/finmon.h, as wasmtime-py generates
its bindings from wasmtime's C headers: the header is the one source of the ABI's
prototypes, status codes and enums, and Python never copies them by hand.

    python3 scripts/gen_bindings.py            # rewrite python/finmon/_bindings.py
    python3 scripts/gen_bindings.py --check    # exit 1 if the committed file is stale

The parser reads the header's disciplined subset (the header keeps to it): `#define
FINMON_* <integer>`, `typedef enum name { NAME = value, ... } name;`, `typedef struct name
{ <type> <field>; ... } name;`, opaque `typedef struct name name;` and one-line-or-more
prototypes `<type> finmon_*(<params>);`. Anything else that looks like a declaration is
an error, so a header change the generator does not understand cannot slip through.

finmon.h is split into parts (include/finmon/*.h, as libgit2's git2.h includes git2/*.h):
header_text() reads it as the compiler does, each `#include "..."` replaced by the part's
text, in order and once, so the bindings follow the parts' order.
"""

from __future__ import annotations

import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ROOT / "include" / "finmon.h"
OUTPUT = ROOT / "python" / "finmon" / "_bindings.py"

#: The generated file's line width.
WIDTH = 110

#: Every ctypes name the output may use; only those it does are imported.
CTYPES_NAMES = ("POINTER", "Structure", "c_char_p", "c_double", "c_int", "c_int32", "c_int64", "c_size_t",
                "c_uint8", "c_uint32", "c_uint64", "c_void_p")

#: C scalar types and their ctypes names.
SCALARS = {
    "int": "c_int", "double": "c_double", "size_t": "c_size_t", "int64_t": "c_int64",
    "uint64_t": "c_uint64", "uint8_t": "c_uint8", "int32_t": "c_int32", "uint32_t": "c_uint32",
}


@dataclass
class Enum:
    c_name: str
    members: list[tuple[str, int]]
    doc: str


@dataclass
class Struct:
    c_name: str
    fields: list[tuple[str, str]]  # (C type, field name)
    doc: str


@dataclass
class Function:
    name: str
    result: str
    params: list[tuple[str, str]]  # (C type, parameter name)
    prototype: str


@dataclass
class Header:
    defines: list[tuple[str, int]]
    enums: list[Enum]
    structs: list[Struct]
    opaque: list[str]
    functions: list[Function]


def header_text(path: Path = HEADER, seen: set[Path] | None = None) -> str:
    """The header with every quoted `#include` inlined (each file once, as its include
    guard makes it for the compiler), resolved relative to the including file. An
    include it cannot find is an error: the bindings must not silently miss a part."""
    seen = set() if seen is None else seen
    seen.add(path.resolve())
    lines = []
    for line in path.read_text().splitlines(keepends=True):
        found = re.fullmatch(r'\s*#\s*include\s+"([^"]+)"\s*', line)
        if not found:
            lines.append(line)
            continue
        part = (path.parent / found[1]).resolve()
        if not part.is_file():
            raise SystemExit(f"gen_bindings: {path.name} includes {found[1]!r}, which is not at {part}")
        if part not in seen:
            lines.append(header_text(part, seen))
    return "".join(lines)


def _strip_comments(text: str) -> str:
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def _comment_before(text: str, position: int) -> str:
    """The block comment that ends right before `position` (the declaration's doc)."""
    before = text[:position].rstrip()
    if not before.endswith("*/"):
        return ""
    start = before.rfind("/*")
    body = before[start + 2:-2]
    lines = [line.strip().lstrip("*").strip() for line in body.splitlines()]
    return " ".join(line for line in lines if line)


def _normalise_type(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip())
    text = re.sub(r"\s*\*\s*", " *", text)
    return text.replace(" *const", " * const").replace("* *", "**").strip()


def _split_param(param: str) -> tuple[str, str]:
    param = re.sub(r"\s+", " ", param.strip())
    found = re.fullmatch(r"(.*?[\s*])([A-Za-z_]\w*)", param)
    if not found:
        raise SystemExit(f"gen_bindings: cannot read the parameter {param!r}")
    return _normalise_type(found[1]), found[2]


def parse(text: str) -> Header:
    header = Header([], [], [], [], [])
    code = _strip_comments(text)
    for name, value in re.findall(r"^\s*#define\s+(FINMON_\w+)\s+(-?\d+)\s*$", code, flags=re.M):
        header.defines.append((name, int(value)))
    for found in re.finditer(r"typedef\s+enum\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, flags=re.S):
        if found[1] != found[3]:
            raise SystemExit(f"gen_bindings: enum {found[1]} is typedef'd as {found[3]}")
        members = []
        for entry in _strip_comments(found[2]).split(","):
            if entry.strip():
                member = re.fullmatch(r"\s*(\w+)\s*=\s*(-?\d+)\s*", entry)
                if not member:
                    raise SystemExit(f"gen_bindings: {found[1]}: give every member a value: {entry.strip()!r}")
                members.append((member[1], int(member[2])))
        header.enums.append(Enum(found[1], members, _comment_before(text, found.start())))
    for found in re.finditer(r"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*(\w+)\s*;", text, flags=re.S):
        fields = [_split_param(entry) for entry in _strip_comments(found[2]).split(";") if entry.strip()]
        header.structs.append(Struct(found[1], fields, _comment_before(text, found.start())))
    header.opaque = re.findall(r"typedef\s+struct\s+(\w+)\s+\1\s*;", code)
    without_types = re.sub(r"typedef\s+(enum|struct)\s+\w+\s*(\{.*?\})?\s*\w+\s*;", " ", code, flags=re.S)
    without_types = re.sub(r"^\s*#.*$", " ", without_types, flags=re.M)
    for found in re.finditer(r"([A-Za-z_][\w\s*]*?)\b(finmon_\w+)\s*\(([^)]*)\)\s*;", without_types):
        result = _normalise_type(found[1])
        params = [] if found[3].strip() == "void" else [_split_param(p) for p in found[3].split(",")]
        prototype = re.sub(r"\s+", " ", found[0].strip())
        header.functions.append(Function(found[2], result, params, prototype))
    rest = re.sub(r"([A-Za-z_][\w\s*]*?)\bfinmon_\w+\s*\([^)]*\)\s*;", " ", without_types)
    stray = [line.strip() for line in rest.splitlines() if "finmon_" in line and not line.strip().startswith("#")]
    if stray:
        raise SystemExit(f"gen_bindings: declarations the generator cannot read: {stray}")
    return header


def enum_class_name(c_name: str) -> str:
    return "".join(part.capitalize() for part in c_name.removeprefix("finmon_").split("_"))


def member_names(enum: Enum) -> list[tuple[str, int]]:
    """Members without the prefix they share (`FINMON_E_NOT_FOUND` -> `NOT_FOUND`)."""
    names = [name for name, _ in enum.members]
    prefix = "FINMON_"
    if len(names) > 1:
        common = names[0]
        for name in names[1:]:
            while not name.startswith(common):
                common = common[:-1]
        prefix = common[:common.rfind("_") + 1]
    stripped = []
    for name, value in enum.members:
        short = name[len(prefix):]
        short = short[2:] if short.startswith("E_") else short  # libgit2's GIT_E... style
        stripped.append((short, value))
    return stripped


def ctype(c_type: str, header: Header, *, result: bool = False) -> str:
    enums = {enum.c_name for enum in header.enums}
    structs = {struct.c_name for struct in header.structs}
    bare = c_type.replace("const ", "").replace(" * const", " *").strip()
    stars = bare.count("*")
    base = bare.replace("*", "").strip()
    if c_type == "void":
        return "None"
    if stars == 0:
        if base in enums:
            return "c_int"
        if base in SCALARS:
            return SCALARS[base]
    if base == "char":
        if stars == 1:
            # `const char *` in or out is text; a `char *` the caller frees is an address.
            return "c_char_p" if c_type.startswith("const") or result else "c_void_p"
        if stars == 2:
            # `char **out` hands back a string the caller frees; `const char *const *` is an array.
            return "POINTER(c_char_p)" if c_type.startswith("const") else "POINTER(c_void_p)"
    if base in header.opaque:
        return "c_void_p" if stars == 1 else "POINTER(c_void_p)"
    if base in structs and stars == 1:
        return f"POINTER({enum_class_name(base)})"
    if base in SCALARS and stars == 2 and not c_type.startswith("const"):
        # `double **out` hands back an address the library owns (a mapped value cell).
        return "POINTER(c_void_p)"
    if base in SCALARS and stars == 1:
        # Input arrays take a ctypes array or a raw address (a NumPy buffer); outputs a byref.
        return "c_void_p" if c_type.startswith("const") else f"POINTER({SCALARS[base]})"
    raise SystemExit(f"gen_bindings: no ctypes mapping for {c_type!r}")


def render(header: Header) -> str:
    out: list[str] = []
    emit = out.append
    emit("# Generated by scripts/gen_bindings.py from include/finmon.h. DO NOT EDIT.")
    emit("# Regenerate after changing the header: python3 scripts/gen_bindings.py")
    emit('"""The C header\'s constants, enums, structs and prototypes, for ctypes.')
    emit("")
    emit("``_native`` applies ``PROTOTYPES`` to the loaded library; the rest of the package")
    emit("names status codes and enum values only through the classes here.")
    emit('"""')
    emit("")
    emit("from __future__ import annotations")
    emit("")
    body = render_body(header)
    text = "\n".join(body)
    used = [name for name in CTYPES_NAMES if re.search(rf"\b{name}\b", text)]
    emit("\n".join(_wrap_list(f"from ctypes import ({', '.join(used)})", WIDTH, "                    ")))
    bases = sorted({"IntFlag" if enum.c_name.endswith("_flag") else "IntEnum" for enum in header.enums})
    emit(f"from enum import {', '.join(bases)}")
    emit("")
    names = [name.removeprefix("FINMON_") for name, _ in header.defines]
    names += [enum_class_name(enum.c_name) for enum in header.enums]
    names += [enum_class_name(struct.c_name) for struct in header.structs]
    names += ["PROTOTYPES"]
    emit("__all__ = [")
    for name in sorted(names):
        emit(f'    "{name}",')
    emit("]")
    emit("")
    out.extend(body)
    return "\n".join(out) + "\n"


def _wrap_list(line: str, width: int, indent: str) -> list[str]:
    """`line` broken after commas (never inside a C type) to lines of at most `width`."""
    lines: list[str] = []
    current = ""
    for piece in re.findall(r"[^,]+(?:,|$)", line):
        if current and len(current) + len(piece) > width:
            lines.append(current.rstrip())
            current = indent + piece.lstrip()
        else:
            current += piece
    return lines + [current.rstrip()]


def _docstring(text: str) -> list[str]:
    lines = textwrap.wrap(text, WIDTH - 7)
    if len(lines) == 1:
        return [f'    """{lines[0]}"""']
    return [f'    """{lines[0]}'] + [f"    {line}" for line in lines[1:]] + ['    """']


def render_body(header: Header) -> list[str]:
    out: list[str] = []
    emit = out.append
    for name, value in header.defines:
        emit(f"{name.removeprefix('FINMON_')} = {value}")
    for enum in header.enums:
        base = "IntFlag" if enum.c_name.endswith("_flag") else "IntEnum"
        emit("")
        emit("")
        emit(f"class {enum_class_name(enum.c_name)}({base}):")
        out.extend(_docstring(f"{enum.c_name}: {enum.doc}" if enum.doc else f"{enum.c_name}."))
        emit("")
        for short, value in member_names(enum):
            emit(f"    {short} = {value}")
    for struct in header.structs:
        emit("")
        emit("")
        emit(f"class {enum_class_name(struct.c_name)}(Structure):")
        out.extend(_docstring(f"{struct.c_name}: {struct.doc}" if struct.doc else f"{struct.c_name}."))
        emit("")
        emit("    _fields_ = [")
        for c_type, field in struct.fields:
            emit(f'        ("{field}", {ctype(c_type, header, result=True)}),')
        emit("    ]")
    emit("")
    emit("")
    emit("#: name -> (restype, argtypes), in header order.")
    emit("PROTOTYPES: dict[str, tuple[object, list[object]]] = {")
    for function in header.functions:
        out.extend(_wrap_list("    # " + function.prototype, WIDTH, "    #     "))
        args = ", ".join(ctype(c_type, header) for c_type, _ in function.params)
        entry = f'    "{function.name}": ({ctype(function.result, header, result=True)}, [{args}]),'
        if len(entry) > WIDTH:
            entry = f'    "{function.name}": (\n        {ctype(function.result, header, result=True)},\n'
            entry += "\n".join(_wrap_list(f"        [{args}]),", WIDTH, "         "))
        emit(entry)
    emit("}")
    return out


def generate() -> str:
    return render(parse(header_text()))


def main(argv: list[str]) -> int:
    text = generate()
    if "--check" in argv:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run python3 scripts/gen_bindings.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
