"""Fixtures of the security sweeps. The worlds and the URL walking are the scope sweep's own
(tests/scope/test_sweep.py): whoever adds a URL or a model extends them there, and these sweeps follow."""

from tests.scope.test_sweep import own_objects, world  # noqa: F401  (fixtures reused as they are)
