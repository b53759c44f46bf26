"""What the sync tells the contexts above it, without importing them (docs/architecture.md:
lower layers never import higher ones).

`plans_applied` is sent by `apply.apply_plans` after it wrote a batch of institutions' plans,
inside the same transaction: a receiver's writes commit or roll back with the sync's. Its
argument `applied` is a list of `(institution_pk, sync_run)`, one per institution written.
The learning platform frees the seats of pupils who left (`platform/sync_effects.py`).
"""

from django.dispatch import Signal

plans_applied = Signal()
