"""Generated modules of the alice.memory.v1 contract (proto/alice/memory/v1).

Do not edit: run `python scripts/generate_protos.py` after changing a .proto
file, and commit the result (CI fails when these files are stale).
"""
