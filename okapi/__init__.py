"""Okapi: OKRs and KPIs side by side."""

__version__ = "0.1.0"
