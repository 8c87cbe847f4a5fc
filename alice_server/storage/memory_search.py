"""The SQL of memory search: keyword and semantic candidates in one statement.

Both rankings run over the same rows: the tenant's live memories of the given
owners (a caller and/or '' for the shared ones), optionally of some types,
found through the (customer_id, user_id, ...) indexes. Keyword candidates are
the memories sharing a word stem with the query, ranked by ts_rank_cd (key
matches weigh more); semantic candidates are the memories with an embedding,
ranked by `alice_embedding_distance` (pgvector's inner product where the
extension is installed, the same product in SQL elsewhere; migration 0004).
Each list is cut at `depth`; the union comes back newest first with each
memory's rank in both lists (0 = absent), and domain/retrieval.py fuses them.

Scoring is exact over the caller's memories: no approximate index, so a
result is never lost to an index's post-filtering (docs/RETRIEVAL.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Any of the query's words (English stems), not all of them: a spoken question
# rarely repeats a memory's exact wording.
QUERY_TSQUERY = """
    (SELECT to_tsquery('simple'::regconfig,
                       coalesce(string_agg(quote_literal(lexeme), ' | '), ''))
     FROM unnest(tsvector_to_array(to_tsvector('english'::regconfig, {query}))) AS lexeme)
"""

MEMORY_COLUMNS = (
    "id, scope, user_id, type, key, value, source, ttl_days, created_at, updated_at, expires_at"
)

# $1 customer_id, $2 owners text[], $3 types text[] (empty = all), $4 query
# text or NULL (no keyword ranking), $5 query embedding real[] or NULL (no
# semantic ranking), $6 depth.
_SCOPE = """
    m.customer_id = $1 AND m.user_id = ANY($2::text[]) AND m.expires_at > now()
    AND (cardinality($3::text[]) = 0 OR m.type = ANY($3::text[]))
"""

SEARCH_CANDIDATES = f"""
WITH kw AS (
    SELECT id, score, row_number() OVER (ORDER BY score DESC, updated_at DESC, id DESC) AS rank
    FROM (
        SELECT m.id, m.updated_at, ts_rank_cd(m.search_vector, q.tsq) AS score
        FROM memories m, (SELECT {QUERY_TSQUERY.format(query="$4::text")} AS tsq) q
        WHERE $4::text IS NOT NULL AND {_SCOPE} AND m.search_vector @@ q.tsq
    ) matched
    ORDER BY rank
    LIMIT $6
),
sem AS (
    SELECT id, -distance AS similarity,
           row_number() OVER (ORDER BY distance, updated_at DESC, id DESC) AS rank
    FROM (
        SELECT m.id, m.updated_at, alice_embedding_distance(m.embedding, $5::real[]) AS distance
        FROM memories m
        WHERE $5::real[] IS NOT NULL AND {_SCOPE} AND m.embedding IS NOT NULL
    ) scored
    ORDER BY rank
    LIMIT $6
)
SELECT {", ".join(f"m.{c.strip()}" for c in MEMORY_COLUMNS.split(","))},
       coalesce(kw.rank, 0)::int AS keyword_rank,
       coalesce(kw.score, 0)::float8 AS keyword_score,
       coalesce(sem.rank, 0)::int AS semantic_rank,
       sem.similarity::float8 AS similarity
FROM (SELECT id FROM kw UNION SELECT id FROM sem) found
JOIN memories m ON m.customer_id = $1 AND m.id = found.id
LEFT JOIN kw ON kw.id = found.id
LEFT JOIN sem ON sem.id = found.id
ORDER BY m.updated_at DESC, m.id DESC
"""


def search_arguments(
    customer_id: int,
    owners: Sequence[str],
    types: Sequence[str],
    query: str | None,
    query_vector: Sequence[float] | None,
    depth: int,
) -> tuple[Any, ...]:
    return (
        customer_id,
        list(owners),
        list(types),
        query,
        list(query_vector) if query_vector is not None else None,
        depth,
    )
