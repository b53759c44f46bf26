"""Folding one Schoolbrug database into another (issue 23, seed 003)."""
