"""alice-admin commands beyond the schema: tenants, tokens, privacy, backups, demo data."""
