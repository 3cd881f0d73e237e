"""The generation lease: how long a Processing order belongs to the run that claimed it.

One setting for generate-doc (which takes over a Processing order only after the lease) and for the reconcile
sweep (which re-queues it only after the lease): two settings could drift apart and allow two live generations.
"""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from pwcore.settings import Settings


class GenerationLeaseSettings(Settings):
    model_config = SettingsConfigDict(env_prefix="PIPELINE_")
    generation_lease_s: int = 900  # longer than the slowest generation
