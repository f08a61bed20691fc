"""The coach (PRODUCT §4): classifies key-result statements and lints whole OKR documents.

Pure Python, no Django: the CLI (`okapi coach`), the web app and the API all call it.
"""

from okapi.core.coach.classifier import KrKind, KrVerdict, classify_kr
from okapi.core.coach.findings import Finding, Severity
from okapi.core.coach.rules import RULES, Rule, coach_document, has_errors

__all__ = [
    "RULES",
    "Finding",
    "KrKind",
    "KrVerdict",
    "Rule",
    "Severity",
    "classify_kr",
    "coach_document",
    "has_errors",
]
