"""OneRoster 1.2: Schoolbrug's bindings of the standard, one bounded context.

* `csv_in/`: a OneRoster CSV set (folder or zip) read into canonical Snapshots for the sync
  (the `oneroster` source of `schoolbrug sync`).
* `csv_out/`: the registry written as a OneRoster CSV set (`schoolbrug export oneroster`).
* `rest/`: the rostering REST API under /ims/oneroster/ and its OAuth token URL; what an app
  may see is decided by sharing/ (consent, grants, visibility), which the views ask.

A plain package, not a Django app: it has no models, migrations, templates or management
commands of its own (the commands stay with the sync that owns their flow).
"""
