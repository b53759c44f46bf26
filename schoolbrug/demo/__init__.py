"""The demo: a synthetic region of schools (`schoolbrug generate`) and one command that syncs
it and serves it with a demo login (`schoolbrug demo`). Nothing in production reads from here."""
