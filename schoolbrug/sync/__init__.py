"""Validate, plan, apply and report a sync."""
