#!/usr/bin/env python3
"""Checks that #include lines follow the layers of DESIGN.md §2.

Every folder under src/ and every public header in include/datashard/ belongs
to one layer. A file may include files of its own layer and of the layers
below it, never above; folders of one layer may include each other, but not
in a circle. A folder or public header this script does not know is an error
too, so a new one gets its place here when it is created.

Usage: check_includes.py [REPO_ROOT]   exit 0 when the rule holds, 1 otherwise.
"""

import pathlib
import re
import sys

# Layers bottom to top; a folder's layer is its index in this list.
LAYERS = [
    ("common", ["types", "util"]),
    ("storage", ["io", "sql"]),
    ("formats", ["format/json", "format/avro", "format/parquet"]),
    ("locks", ["lock"]),
    ("catalog", ["catalog"]),
    ("model", ["metadata", "expr"]),
    ("operations", ["commit", "scan", "log", "maintenance"]),
    ("table API", ["table"]),
]

# Public headers belong to the folder that implements them.
PUBLIC_HEADERS = {
    "types": ["column_vector.h", "errors.h", "record_batch.h", "schema.h", "types.h", "value.h"],
    "io": ["file_io.h"],
    "lock": ["fencing.h", "lock_guard.h", "lock_manager.h"],
    "metadata": [
        "partition_spec.h", "schema_update.h", "snapshot.h", "spec_update.h", "table_metadata.h"
    ],
    "expr": ["expression.h"],
    "scan": ["scan_reader.h"],
    "maintenance": ["maintenance.h"],
    "table": ["catalog.h", "scan.h", "table.h", "transaction.h"],
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parents[1])
    rank = {folder: i for i, (_, folders) in enumerate(LAYERS) for folder in folders}
    public = {name: folder for folder, names in PUBLIC_HEADERS.items() for name in names}
    errors = []

    def folder_of_include(target):
        if target.startswith("datashard/"):
            return public.get(target[len("datashard/"):])
        parts = target.split("/")
        for n in (2, 1):
            candidate = "/".join(parts[:n])
            if len(parts) > n and candidate in rank:
                return candidate
        return None

    sources = []
    for path in sorted((root / "src").rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        rel = path.relative_to(root / "src").parent.as_posix()
        folder = rel if rel in rank else None
        if folder is None:
            errors.append(f"src/{path.relative_to(root / 'src')}: folder src/{rel}/ has no layer in "
                          "scripts/check_includes.py")
            continue
        sources.append((path, folder))
    for path in sorted((root / "include" / "datashard").glob("*.h")):
        folder = public.get(path.name)
        if folder is None:
            errors.append(f"{path.relative_to(root)}: public header has no layer in scripts/check_includes.py")
            continue
        sources.append((path, folder))

    edges = {}
    count = 0
    for path, folder in sources:
        text = path.read_text(encoding="utf-8")
        for match in INCLUDE.finditer(text):
            target = match.group(1)
            line = text.count("\n", 0, match.start()) + 1
            where = f"{path.relative_to(root)}:{line}"
            to = folder_of_include(target)
            count += 1
            if to is None:
                errors.append(f'{where}: "{target}" is not a file of a known layer')
                continue
            if rank[to] > rank[folder]:
                errors.append(f'{where}: "{target}" is in {to}/ ({LAYERS[rank[to]][0]} layer), above '
                              f"{folder}/ ({LAYERS[rank[folder]][0]} layer)")
            elif to != folder:
                edges.setdefault(folder, {}).setdefault(to, where)

    # Folders of one layer must not include each other in a circle.
    def cycle_from(start):
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in edges.get(node, {}):
                if nxt == start:
                    return trail + [start]
                if nxt not in trail and rank[nxt] == rank[start]:
                    stack.append((nxt, trail + [nxt]))
        return None

    reported = set()
    for folder in sorted(edges):
        cycle = cycle_from(folder)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            steps = ", ".join(f"{a}/ -> {b}/ at {edges[a][b]}" for a, b in zip(cycle, cycle[1:]))
            errors.append(f"folders include each other in a circle: {steps}")

    if errors:
        print("\n".join(errors))
        print(f"{len(errors)} include rule violation(s); layers are listed in scripts/check_includes.py "
              "(DESIGN.md §2)")
        return 1
    print(f"ok: {count} includes in {len(sources)} files follow the layers")
    for name, folders in reversed(LAYERS):
        present = [f for f in folders if (root / "src" / f).is_dir()]
        print(f"  {name:<11} {'  '.join(f + '/' for f in present)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
