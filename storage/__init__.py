"""Durable storage: SQLModel tables, SQLite/PostgreSQL set-up, the unit of work, migrations."""
