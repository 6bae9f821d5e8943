"""Persistence: SQLAlchemy 2 tables, Alembic migrations, dated queries and the unit of work."""
