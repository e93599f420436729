"""Fixtures of the security sweeps. The world (`own_objects`: one object of every kind in district A) and the URL
walking are the scope sweep's own (tests/scope/test_sweep.py): whoever adds a URL or a model extends them there,
and these sweeps follow."""

from tests.scope.test_sweep import own_objects  # noqa: F401  (the fixture, reused as it is)
