"""OneRoster CSV in: a set (folder or zip) → one canonical Snapshot per school.

The entry points are in reader.py (`parse_oneroster`, `load_org_map`); its docstring says what
the reader decides. The other modules are its steps: package.py (folder or zip), tables.py
(CSV files and their headers), values.py (cell values), rows.py (each table's rows, the org and
delta resolution) and snapshots.py (the canonical records).
"""
