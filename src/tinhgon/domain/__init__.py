"""The domain model: plain dataclasses that import nothing from the database or the web."""
