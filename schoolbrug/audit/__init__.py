"""Who changed what, when and why.

- `models.AuditEntry`: one change; history users read (web `audit/`, pupil and class pages).
- `audited.py`: which models are logged automatically, and how; the others are exempt there.
- `changes.py`: the signal receivers that log every save, delete and many-to-many change.
- `context.py`, `middleware.py`, `commands.py`: who acts and why (page, admin, command, job).
The sync and the staff upload write their own entries in bulk (no signals fire there).
"""
