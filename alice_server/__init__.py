"""Alice server."""
