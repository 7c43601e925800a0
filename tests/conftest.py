"""Fixtures every test under tests/ can use: the shared-state servers (tests/service_servers.py)."""

from service_servers import postgres_url, redis_url  # noqa: F401  (session fixtures)
