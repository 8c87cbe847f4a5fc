"""alice-console: the operators' and tenant admins' web console of Alice.

A gRPC client of Alice like chad_client (it uses chad_client), never a
database connection: operators' calls carry a platform token, a tenant
admin's calls a tenant token minted for that admin's customer only, so
Alice's own checks apply. Server-rendered pages (Starlette, Jinja2 with
autoescape), SVG charts drawn on the server, no asset from another host.
"""

from alice_server import __version__

__all__ = ["__version__"]
