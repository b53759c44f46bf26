"""What the registry tells the contexts above it when it writes in bulk (bulk statements send
no post_save), without importing them (docs/architecture.md: lower layers never import higher
ones).

`institutions_saved` is sent by `institutions_file.save_institutions` inside its transaction,
with `pks`: the institutions it added or renamed. The enrolment site's public pages name a
school by its institution (`enrolment/public_cache.py`).
"""

from django.dispatch import Signal

institutions_saved = Signal()
