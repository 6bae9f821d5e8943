"""Coordination rules, delegations of authority and the governance model of units (issue 11)."""
