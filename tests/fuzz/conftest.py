"""`make fuzz` without atheris: STEERDESK_FUZZ_EXAMPLES raises every property's example count (tests/fuzz/run.py)."""

import os

from hypothesis import HealthCheck, settings

if os.environ.get("STEERDESK_FUZZ_EXAMPLES"):
    settings.register_profile(
        "fuzz",
        max_examples=int(os.environ["STEERDESK_FUZZ_EXAMPLES"]),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.load_profile("fuzz")
