"""A coach finding: one rule that fired, where, why, and what to do (FORMATS §4)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the file cannot be scored as written: `okapi coach` exits 1
    WARNING = "warning"  # a mistake the sources name; fix it before the cycle starts
    INFO = "info"  # a hint


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    where: str
    message: str
    suggestion: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": str(self.severity),
            "where": self.where,
            "message": self.message,
            "suggestion": self.suggestion,
        }
