"""Vendors: polling other companies' public status pages (docs/design.md, "Vendors").

Placed by parts (pyproject.toml): `document`, `fetch` and `backoff` are services,
`service` writes beside lifecycle, and `poll` is an entry point the beat task calls.
"""
