"""The SQL of `alice-admin backfill-embeddings` (run as the schema owner).

The owner is bound by row-level security too (FORCE), so every statement on
memories runs in a transaction with the tenant set, like the service's.
Only rows without an embedding are read, so a stopped run resumes where it
stopped; the trigger of memory history fires on value and source only, so
adding an embedding is not a change of the memory.
"""

from __future__ import annotations

CUSTOMERS = "SELECT id FROM customers ORDER BY id"
SET_TENANT = "SELECT set_config('alice.customer_id', $1::text, true)"
COUNT_MISSING = (
    "SELECT count(*) FROM memories WHERE customer_id = $1 AND embedding IS NULL "
    "AND expires_at > now()"
)
# SKIP LOCKED: a second backfill running at the same time takes other rows.
NEXT_BATCH = """
SELECT id, type, key, value FROM memories
WHERE customer_id = $1 AND embedding IS NULL AND expires_at > now()
ORDER BY id
LIMIT $2
FOR UPDATE SKIP LOCKED
"""
SET_EMBEDDING = (
    "UPDATE memories SET embedding = $3::real[] "
    "WHERE customer_id = $1 AND id = $2 AND embedding IS NULL"
)
