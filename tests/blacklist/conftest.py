"""The blacklist tests reuse the counter-gate fixtures (gate, registry)."""

from onboarding.conftest import gate, registry  # noqa: F401
