"""The compliance audit of a unit against the rule packs, read from the registry."""
