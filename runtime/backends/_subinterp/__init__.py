"""Helpers of the subinterpreter tier: the bootstrap each interpreter runs and the
pure-Python driver used where the native helper was not built."""
