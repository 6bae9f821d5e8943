"""Staffing after a merger: who holds which title, concurrent titles, surplus staff and the budget saved."""
