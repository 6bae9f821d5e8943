"""Rule packs and the rules engine: legal thresholds, funds and procedures as dated, cited data.

Pure: imports nothing from the database or the web. Start with ``RuleBook.load_default()``.
"""

from __future__ import annotations

from tinhgon.rules.book import MissingUnitData, NoRuleInForce, RuleBook, RuleError
from tinhgon.rules.results import RuleRef, Status

__all__ = ["MissingUnitData", "NoRuleInForce", "RuleBook", "RuleError", "RuleRef", "Status"]
