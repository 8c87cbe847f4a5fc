"""Storage: SQLAlchemy models and the tenant-bound database session."""
