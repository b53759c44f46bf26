"""EDEXML 2.1, the Edustandaard exchange file of Dutch (and Flemish) school packages.

A school's package hands this file to Basispoort and learning platforms: the school, its groups
and combined groups, its pupils and teachers. Schoolbrug reads it as a source (`reader`, on the
same pipeline as WISA: snapshot → validate → plan → safety → apply) and writes it as a target
(`writer`). Every file is checked against the standard's schema (`xsd/`, `schema`), read without
entities or network access.
"""
