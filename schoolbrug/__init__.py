"""Schoolbrug: moves school data safely between SIS exports, a registry of record and apps."""
