"""Native helpers, compiled at install time (see setup.py); each one is optional."""
