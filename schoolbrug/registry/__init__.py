"""Registry of record: institutions, classes, pupils, staff."""
