"""Fixtures for the LLM path: an Ollama stand-in on 127.0.0.1 and valid intake for every service."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from pwcore.compliance.section_generator import MemoryCache, SectionGenerator
from pwdev.ollama_standin import OllamaStandin

MODEL = "qwen2.5:7b"

SAMPLE_INTAKE: dict[str, dict[str, Any]] = {
    "FLSA Audit": {
        "headcount": 14,
        "states": ["CA", "tx"],
        "roles": [
            {
                "title": "Office Manager",
                "pay_basis": "salary",
                "annual_salary": 52000,
                "weekly_hours": 48,
                "exemption_claimed": "administrative",
                "duties": "Schedules staff, orders supplies, runs payroll inputs.",
            },
            {"title": "Technician", "headcount": 8, "pay_basis": "hourly", "hourly_rate": 24.5, "weekly_hours": 44},
        ],
        "tracks_hours_worked": True,
    },
    "CCPA Audit": {
        "annual_revenue": 31000000,
        "consumer_records": 120000,
        "data_categories": ["identifiers", "commercial_information", "internet_activity"],
        "sells_or_shares": True,
        "has_privacy_policy": True,
        "service_providers": ["Shopify", "Klaviyo"],
    },
    "TCPA Audit": {
        "channels": ["voice", "sms"],
        "consent_capture": "web_form",
        "dialer_type": "predictive",
        "monthly_volume": 40000,
        "scrubs_national_dnc": True,
        "states": ["FL", "OK"],
    },
    "Contractor Assessment": {
        "workers": [
            {
                "role": "Delivery driver",
                "count": 6,
                "state": "CA",
                "paid_by": "daily",
                "company_controls_schedule": True,
                "company_provides_tools": False,
                "work_is_core_business": True,
            }
        ],
        "employee_headcount": 20,
        "states": ["CA"],
    },
    "Handbook Review": {
        "headcount": 35,
        "states": ["NY", "NJ"],
        "policies_present": ["at_will", "equal_employment", "paid_time_off"],
        "handbook_last_updated": "2019-03-01",
    },
    "Breach Response Plan": {
        "data_types": ["ssn", "payment_card"],
        "record_count": 8000,
        "resident_states": ["TX", "CA", "NY"],
        "systems": ["QuickBooks Online", "Google Workspace"],
        "has_cyber_insurance": False,
    },
    "Privacy Policy": {
        "business_name": "Acme Widgets LLC",
        "website": "https://acme.example",
        "contact_email": "privacy@acme.example",
        "data_categories": ["identifiers", "commercial_information"],
        "uses_cookies": True,
        "sells_or_shares": False,
    },
}


@pytest.fixture
def standin() -> Iterator[OllamaStandin]:
    sb = OllamaStandin(models=[MODEL], num_parallel=4).start()
    try:
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def make_gen() -> Iterator[Callable[..., SectionGenerator]]:
    made: list[SectionGenerator] = []

    def factory(url: str, **kwargs: Any) -> SectionGenerator:
        kwargs.setdefault("model", MODEL)
        kwargs.setdefault("concurrency", 3)
        kwargs.setdefault("section_timeout_s", 10.0)
        kwargs.setdefault("chunk_timeout_s", 2.0)
        kwargs.setdefault("retries", 3)
        kwargs.setdefault("backoff_initial_s", 0.02)
        kwargs.setdefault("backoff_max_s", 0.1)
        gen = SectionGenerator(url, **kwargs)
        made.append(gen)
        return gen

    yield factory
    for gen in made:
        gen.close()


@pytest.fixture
def cache() -> MemoryCache:
    return MemoryCache()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
