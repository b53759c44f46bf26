"""OneRoster CSV out: the registry as a OneRoster 1.2 CSV set, bulk or delta, into a folder or a
zip (export.py decides the rows, files.py writes the files)."""
