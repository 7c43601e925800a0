"""Fixtures of the go-plugin bridge tests (defined in bridge_helpers.py)."""

from bridge_helpers import inprocess_policy, launch, socket_dir  # noqa: F401
