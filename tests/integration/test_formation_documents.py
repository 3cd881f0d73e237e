"""Every formation variant through the real path on the local stack: the sample orders of templates/samples/
are created in the ERPNext stand-in (Customer, Sales Order, Formation Order with its child tables, Sales
Invoice), the invoice is paid (signed webhook -> on-payment -> generate-doc), and the stored PDFs are read
back: the document set, the words each variant must and must not use, page counts, signature blocks."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from pwcore.documents.pdf_check import pdf_opens, pdf_text
from pwdev.demo import mark_paid, wait_status
from pwdev.stack import LocalStack

SAMPLES = Path(__file__).resolve().parents[2] / "templates" / "samples"
SSNS = ("987-65-4321", "987-65-4322", "987654321", "987654322")


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("doctype", "idx", "name")}


def place_bundle(erp: Any, bundle: dict[str, Any], tag: str = "", **changes: Any) -> dict[str, Any]:
    """The sample as ERPNext records (new names), unpaid; `changes` edit the Formation Order."""
    c = bundle["customer"]
    customer = erp.insert("Customer", {"customer_name": f"{c['customer_name']}{tag}", "customer_type": "Company",
                                       "email_id": c["email_id"]})
    items = [_strip(i) for i in bundle["sales_order"]["items"]]
    total = float(sum(float(i["amount"]) for i in items))
    so = erp.insert("Sales Order", {"customer": customer["name"], "transaction_date": date.today().isoformat(),
                                    "items": items, "grand_total": total, "docstatus": 1,
                                    "custom_order_type": "formation"})
    order = {k: v for k, v in bundle["order"].items()
             if k not in ("doctype", "name", "status", "document_version", "responsible_party_id")}
    order.update(customer=customer["name"], sales_order=so["name"],
                 members=[_strip(r) for r in order["members"]], add_ons=[_strip(a) for a in order["add_ons"]])
    order.update(changes)
    fo = erp.insert("Formation Order", order)
    invoice = erp.insert("Sales Invoice", {
        "customer": customer["name"], "posting_date": date.today().isoformat(),
        "due_date": (date.today() + timedelta(days=7)).isoformat(),
        "items": [{**i, "sales_order": so["name"]} for i in items], "total": total, "grand_total": total,
        "outstanding_amount": total, "status": "Unpaid", "docstatus": 1})
    return {"name": fo["name"], "invoice": invoice["name"]}


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    return data


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


EXPECTED: dict[str, list[str]] = {
    "single-member-llc-tx": ["operating-agreement", "articles-of-organization", "organizer-statement"],
    "multi-member-llc-co": ["operating-agreement", "articles-of-organization", "organizer-statement",
                            "ein-confirmation"],
    "manager-managed-llc-ca": ["operating-agreement", "articles-of-organization", "organizer-statement"],
    "llc-filing-only-ny": ["articles-of-organization", "organizer-statement"],
    "corporation-de": ["corporate-bylaws", "articles-of-incorporation", "organizational-consent", "share-ledger",
                       "ein-confirmation"],
    "nonprofit-co": ["nonprofit-bylaws", "nonprofit-articles", "conflict-of-interest-policy"],
}
MANAGER = re.compile(r"\bManagers?\b")


@pytest.fixture(scope="module")
def generated(stack: LocalStack, erp: Any, storage: Any) -> dict[str, dict[str, Any]]:
    """All six samples placed and paid at once, then read back once Review."""
    placed = {name: place_bundle(erp, _load(name)) for name in EXPECTED}
    for p in placed.values():
        mark_paid(erp, p["invoice"])
    out: dict[str, dict[str, Any]] = {}
    for sample, p in placed.items():
        doc = wait_status(erp, "Formation Order", p["name"], {"Review"}, timeout=300)
        assert doc["status"] == "Review", (sample, doc["status"])
        prefix = f"orders/{p['name']}/v1/"
        manifest = storage.get_json(prefix + "manifest.json")
        texts = {}
        pdfs = {}
        for entry in manifest["files"]:
            if entry["key"].endswith(".pdf"):
                stem = entry["key"].rsplit("/", 1)[1][:-4]
                pdfs[stem] = storage.get_bytes(entry["key"])
                texts[stem] = _norm(pdf_text(pdfs[stem]))
        keys = [o.key for o in storage.list(f"orders/{p['name']}/")]
        out[sample] = {"name": p["name"], "manifest": manifest, "texts": texts, "pdfs": pdfs, "keys": keys}
    return out


@pytest.mark.parametrize("sample", list(EXPECTED))
def test_document_set_per_variant(generated: dict[str, dict[str, Any]], sample: str) -> None:
    g = generated[sample]
    stored = sorted(k.rsplit("/", 1)[1] for k in g["keys"] if not k.endswith("manifest.json"))
    assert stored == sorted(f"{d}.{e}" for d in EXPECTED[sample] for e in ("docx", "pdf"))
    for stem, pdf in g["pdfs"].items():
        assert pdf_opens(pdf), stem
        text = g["texts"][stem]
        assert "{{" not in text and "{%" not in text, stem
        assert _load(sample)["order"]["entity_name"] in text, stem
    # The operator's SS-4 worksheet is never stored, and no object holds the responsible party's number.
    assert not any("ss4" in k for k in g["keys"])
    blob = json.dumps(g["manifest"]) + "".join(g["texts"].values())
    assert not any(s in blob for s in SSNS)


def test_single_member_llc(generated: dict[str, dict[str, Any]]) -> None:
    t = generated["single-member-llc-tx"]["texts"]
    oa = t["operating-agreement"]
    assert "a Texas limited liability company" in oa and "the State of Texas" in oa
    assert "Single-Member" in oa and "Sole Member" in oa and "the Member" in oa
    assert "disregarded" in oa and "Morgan Whitfield" in oa and "Designated Successor" in oa
    assert "other Members" not in oa and not MANAGER.search(oa)
    assert " TX " not in oa and "TX LLC" not in oa
    assert 10 <= _pages(generated["single-member-llc-tx"]["pdfs"]["operating-agreement"]) <= 30
    assert "Certificate of Formation" in t["articles-of-organization"]  # Texas's name for the filing
    assert "1601 Congress Avenue, Suite 300, Austin, Texas 78701" in t["articles-of-organization"]
    # the sole Member's own words, and the spousal consent names whose spouse signs
    assert "that the Member selects and registers as" in oa and "the Member does not own any Company property" in oa
    assert "Spouse of Dana Whitfield" in oa and "Spouse of Member:" not in oa and "their respective heirs" not in oa
    articles, consent = t["articles-of-organization"], t["organizer-statement"]
    assert "This document becomes effective when filed by the Texas Secretary of State" in articles
    # Performance West's signatory is a Name line to fill in, never the role printed as a name
    assert "Name: Authorized Signatory" not in articles and "Name: Authorized Signatory" not in consent
    assert "with the registered office at 1601 Congress Avenue" in consent
    assert "with its registered office" not in consent
    assert "shall apply to the Internal Revenue Service for an employer identification number" in consent


def test_multi_member_member_managed_llc(generated: dict[str, dict[str, Any]]) -> None:
    g = generated["multi-member-llc-co"]
    oa = g["texts"]["operating-agreement"]
    assert "a Colorado limited liability company" in oa and not MANAGER.search(oa)
    assert "partnership" in oa.casefold() and "Partnership Representative" in oa
    # The entity member signs by its officer; the individual signs as herself.
    assert re.search(r"SUMMIT PEAK HOLDINGS, INC\.|Summit Peak Holdings, Inc\.", oa)
    assert re.search(r"By: _+", oa) and "Jordan Reyes" in oa and "President" in oa
    assert 12 <= _pages(g["pdfs"]["operating-agreement"]) <= 30
    ein = g["texts"]["ein-confirmation"]
    assert "92-1234567" in ein and "December 1, 2026" in ein
    assert "if the state imposes that tax" in ein
    # the consent issues the agreement's percentage interests, never units the agreement does not define
    consent = g["texts"]["organizer-statement"]
    assert "Member Capital Contribution Percentage Interest" in consent and not re.search(r"\bUnits?\b", consent)
    # one rule for admission and for borrowing; the buy-out points at the section holding the payment terms
    assert "approved by Supermajority Approval as a Major Decision" in oa
    assert "Required Approval of the Members other than the transferor" not in oa
    assert "borrow money in excess of $10,000.00 in any single transaction" in oa
    assert "on the terms of the Payment Terms section" in oa and "payment terms of that section" not in oa
    # the EIN is recorded: the consent ratifies it instead of applying for one
    assert "which the Internal Revenue Service assigned on December 1, 2026, is ratified and approved" in consent
    assert "shall apply to the Internal Revenue Service" not in consent and "92-1234567" not in consent


def test_manager_managed_llc(generated: dict[str, dict[str, Any]]) -> None:
    oa = generated["manager-managed-llc-ca"]["texts"]["operating-agreement"]
    assert "Taylor Brooks" in oa and MANAGER.search(oa)
    assert "a California limited liability company" in oa
    assert "Jamie Santos" in oa and "Spouse of Riley Santos" in oa  # community property: spousal consent
    assert "Casey Morgan" in oa and "Managing Member" in oa
    articles = generated["manager-managed-llc-ca"]["texts"]["articles-of-organization"]
    assert "This document becomes effective when filed by the California Secretary of State" in articles
    assert "This Articles of Organization becomes" not in articles and "signs this Articles" not in articles


def test_llc_without_add_ons_gets_no_agreement(generated: dict[str, dict[str, Any]]) -> None:
    t = generated["llc-filing-only-ny"]["texts"]
    assert set(t) == {"articles-of-organization", "organizer-statement"}
    assert "New York County" in t["articles-of-organization"]
    # no Operating Agreement add-on: the consent adopts no agreement that was never drafted
    consent = t["organizer-statement"]
    assert "operating agreement of the Company dated" not in consent and "operating agreement permit" not in consent
    assert "the members shall adopt a written operating agreement of the Company" in consent


def test_corporation(generated: dict[str, dict[str, Any]]) -> None:
    g = generated["corporation-de"]
    bylaws = g["texts"]["corporate-bylaws"]
    assert "Board of Directors" in bylaws and "Stockholders" in bylaws and "Secretary" in bylaws
    assert "a Delaware corporation" in bylaws and "Inc.." not in bylaws
    assert not re.search(r"\bMembers?\b", bylaws) and "member-managed" not in bylaws.casefold()
    assert "Profits and losses" not in bylaws
    assert 12 <= _pages(g["pdfs"]["corporate-bylaws"]) <= 35
    assert "Certificate of Incorporation" in g["texts"]["articles-of-incorporation"]
    assert "20,000,000" in g["texts"]["articles-of-incorporation"]
    ledger = g["texts"]["share-ledger"]
    assert "6,000,000" in ledger and "4,000,000" in ledger and "10,000,000" in ledger
    assert "92-7654321" in g["texts"]["ein-confirmation"]
    assert "initial Board of Directors is three (3)." in g["texts"]["articles-of-incorporation"]
    assert "shall consist of three (3) directors" in bylaws
    consent = g["texts"]["organizational-consent"]
    assert "on December 1, 2026 are ratified, approved and confirmed" in consent
    assert "are authorized to apply to the Internal Revenue Service" not in consent
    ein = g["texts"]["ein-confirmation"]
    assert "To make the S corporation election that the organizational consent approves" in ein
    assert "If the corporation intends" not in ein
    # Delaware's words and rules, not the Model Business Corporation Act's
    for stem in ("corporate-bylaws", "articles-of-incorporation", "organizational-consent", "share-ledger"):
        assert not re.search(r"shareholder", g["texts"][stem], re.I), stem
    assert "Meetings of Stockholders" in bylaws and "Initial Stockholders" in consent
    assert "The stockholders have no right to call or to demand a special meeting unless the Charter grants it." \
        in bylaws  # 8 Del. C. § 211(d)
    assert "ten percent of all the votes" not in bylaws and "statement of changes in" not in bylaws
    articles = g["texts"]["articles-of-incorporation"]
    assert "1209 Orange Street, Wilmington, Delaware 19801 (County: ________)." in articles  # § 102(a)(2)
    assert "The Board of Directors is expressly authorized to adopt, amend and repeal the Bylaws" in articles


def test_nonprofit(generated: dict[str, dict[str, Any]]) -> None:
    g = generated["nonprofit-co"]
    bylaws = g["texts"]["nonprofit-bylaws"]
    assert "501(c)(3)" in bylaws and "Board of Directors" in bylaws and "a Colorado nonprofit corporation" in bylaws
    assert not re.search(r"\bShareholders?\b|Ownership|Capital Account", bylaws)
    assert not re.search(r"distribut\w* (its assets )?to (the |its )?Members", bylaws)
    assert 10 <= _pages(g["pdfs"]["nonprofit-bylaws"]) <= 35
    assert "exempt purposes" in g["texts"]["nonprofit-articles"]
    articles = g["texts"]["nonprofit-articles"]
    assert "be distributable to, its directors, officers or other private persons" in articles  # no members
    assert "its members, directors" not in articles and "initial Board of Directors is three (3)." in articles
    assert "brothers and sisters (whether by the whole or half blood) and their spouses, and children" in bylaws


def _fails(erp: Any, sample: str, tag: str, **changes: Any) -> tuple[str, list[str]]:
    """The sample placed with `changes` and paid: the order must fail. Its name and its comments."""
    p = place_bundle(erp, _load(sample), tag, **changes)
    mark_paid(erp, p["invoice"])
    doc = wait_status(erp, "Formation Order", p["name"], {"Failed"}, timeout=120)
    assert doc["status"] == "Failed"
    rows = erp.list("Comment", fields=["content"], filters=[["reference_name", "=", p["name"]]])
    return p["name"], [r["content"] for r in rows]


def test_management_type_that_does_not_fit_fails_the_order(stack: LocalStack, erp: Any, storage: Any) -> None:
    name, comments = _fails(erp, "corporation-de", " (mismatch)", management_type="Member-Managed")
    assert any("'management_type' does not fit a Corporation" in c for c in comments), comments
    assert not list(storage.list(f"orders/{name}/"))


def test_missing_fact_fails_naming_the_field(stack: LocalStack, erp: Any, storage: Any) -> None:
    _, comments = _fails(erp, "single-member-llc-tx", " (no agent office)", registered_agent_address="")
    assert any("'registered_agent_address' is empty" in c for c in comments), comments
