"""Household consultation on mergers and elections of group heads: rolls, ballots, tallies, minutes."""
