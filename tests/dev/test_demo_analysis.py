"""The demo's analysis part runs on the sample intakes and reports what the reports will say."""

from __future__ import annotations

from datetime import date

import pytest

from pwdev.demo_analysis import run_analyses


def test_demo_analysis_summary(capsys: pytest.CaptureFixture[str]) -> None:
    summary = run_analyses(date(2026, 12, 2))
    assert summary["flsa_roles"] == 5
    assert summary["flsa_high_risk"] == ["Office Administrator", "Shift Lead"]
    assert summary["flsa_back_pay_2y"] == {"low estimate": "83216.64", "high estimate": "299520.00"}
    assert summary["contractor_likely_employees"] == 7
    assert summary["contractor_vcsp"] == "1481.79"
    assert any(g.startswith("Sick leave policy") for g in summary["handbook_gaps_high"])
    assert summary["stale_facts"] == []
    err = capsys.readouterr().err
    assert "FLSA Shift Lead (CO): risk High" in err and "VCSP payment $1,481.79" in err
