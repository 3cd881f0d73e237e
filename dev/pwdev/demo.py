"""`make demo`: the main job on the local stack, end to end, driven by ERPNext webhooks.

A customer buys a formation (3 members) and an FLSA audit on one Sales Order; the invoice is marked paid in
the ERPNext stand-in, which sends the signed webhook; on-payment queues both orders; generate-doc renders
them (the audit's analysis sections written by the LLM); both reach Review; the formation order is approved
and delivered by email. A second customer's payment webhook is dropped on purpose, and the reconcile sweep
recovers it. A third customer registers a Canadian carrier with the CRTC: its order waits Queued while the
identity verification is Pending, starts when the Sales Order says Verified (found by the reconcile sweep),
reaches Review with the CRTC document set, is approved and delivered. The reviewer asks for a revision of the
FLSA audit; it comes back in Review as v2 with a redline per document, and is approved and delivered
(pwdev.demo_review). The last line printed is a JSON summary.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date, timedelta
from typing import Any

import httpx

from pwdev.demo_access_log import show_access_log
from pwdev.demo_review import revise_and_approve
from pwdev.erpnext import submit_payment_entry
from pwdev.stack import JWT_SECRET, LocalStack

FINAL = {"Failed", "Refunded"}


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def wait_status(erp: Any, doctype: str, name: str, wanted: set[str], timeout: float = 240.0,
                poll_s: float = 0.2) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    doc: dict[str, Any] = {}
    while time.monotonic() < deadline:
        doc = erp.get(doctype, name)
        if doc["status"] in wanted or doc["status"] in FINAL:
            return doc
        time.sleep(poll_s)
    return doc


FLSA_INTAKE = {
    "headcount": 42,
    "states": ["TX", "CA"],
    "roles": [
        {"title": "Store Manager", "headcount": 4, "pay_basis": "salary", "annual_salary": 61000,
         "weekly_hours": 50, "exemption_claimed": "executive",
         "duties": "Runs a store, hires and directs staff, sets schedules"},
        {"title": "Shift Lead", "headcount": 8, "pay_basis": "salary", "annual_salary": 41000,
         "weekly_hours": 46, "exemption_claimed": "executive", "duties": "Opens and closes, works the register"},
        {"title": "Sales Associate", "headcount": 30, "pay_basis": "hourly", "hourly_rate": 16.5,
         "weekly_hours": 36, "exemption_claimed": "none", "duties": "Customer service and stocking"},
    ],
}


# A member-managed Texas LLC with Performance West as its registered agent (the demo's formations).
_TX_LLC: dict[str, Any] = {
    "entity_type": "LLC", "state": "TX", "management_type": "Member-Managed",
    "registered_agent": "Performance West Agents LLC",
    "registered_agent_address": "1601 Congress Avenue, Suite 300, Austin, Texas 78701",
    "principal_office": "1 Main Street, Austin, Texas 78701",
}


def _unpaid_invoice(erp: Any, customer: str, sales_order: str, items: list[dict[str, Any]], total: float) -> str:
    """The Sales Invoice of a Sales Order as the site issues it: submitted, Unpaid, 3 % card surcharge, due in a
    week."""
    invoice = erp.insert("Sales Invoice", {
        "customer": customer, "posting_date": date.today().isoformat(),
        "due_date": (date.today() + timedelta(days=7)).isoformat(), "custom_surcharge_pct": 3,
        "custom_payment_gateway": "stripe",
        "items": [{**i, "sales_order": sales_order} for i in items], "total": total,
        "grand_total": round(total * 1.03, 2), "outstanding_amount": round(total * 1.03, 2), "status": "Unpaid",
        "docstatus": 1})
    return str(invoice["name"])


def place_order(erp: Any, customer_name: str, email: str, *, compliance: bool,
                referral_code: str | None = None) -> dict[str, Any]:
    customer = erp.insert("Customer", {"customer_name": customer_name, "customer_type": "Company",
                                       "email_id": email})
    items: list[dict[str, Any]] = [{"item_code": "LLC-FORMATION", "item_name": "LLC formation (Texas)", "qty": 1,
                                    "rate": 499.0, "amount": 499.0}]
    if compliance:
        items.append({"item_code": "FLSA-AUDIT", "item_name": "FLSA audit", "qty": 1, "rate": 1500.0,
                      "amount": 1500.0})
    total = float(sum(float(i["amount"]) for i in items))
    so = erp.insert("Sales Order", {"customer": customer["name"], "transaction_date": date.today().isoformat(),
                                    "items": items, "grand_total": total, "docstatus": 1,
                                    # formation (+ a compliance service): a "bundle" is formation + CRTC
                                    "custom_order_type": "formation",
                                    "custom_referral_code": referral_code})
    entity = f"{customer_name.split(' <')[0]} Holdings"
    fo = erp.insert("Formation Order", {
        **_TX_LLC, "customer": customer["name"], "sales_order": so["name"], "entity_name": f"{entity} LLC",
        "purpose": "The Company is formed to operate a retail business.",
        "order_total": 499.0,
        "members": [
            {"member_name": "Ana Rivera", "ownership_pct": 50, "capital": 25000,
             "address": "1 Main Street, Austin, Texas 78701"},
            {"member_name": "Ben O'Neil", "ownership_pct": 30, "capital": 15000,
             "address": "2 Oak Avenue, Dallas, Texas 75201"},
            {"member_name": "Chen Wei", "ownership_pct": 20, "capital": 10000,
             "address": "3 Elm Road, Houston, Texas 77002"},
        ],
        "add_ons": [{"add_on": "Operating Agreement", "description": "Operating agreement", "amount": 99}]})
    orders = [("Formation Order", fo["name"])]
    if compliance:
        cs = erp.insert("Compliance Service", {
            "customer": customer["name"], "sales_order": so["name"], "service_type": "FLSA Audit",
            "entity_name": entity, "state": "TX", "order_total": 1500.0, "intake_data": json.dumps(FLSA_INTAKE)})
        orders.append(("Compliance Service", cs["name"]))
    return {"customer": customer["name"], "sales_order": so["name"],
            "invoice": _unpaid_invoice(erp, customer["name"], so["name"], items, total), "orders": orders}


# A US-incorporated VoIP reseller with international calling: registration letter, BITS application, summary.
CRTC_ORDER: dict[str, Any] = {
    "order_kind": "CRTC", "carrier_legal_name": "Northern Lights Telecom Inc.",
    "operating_names": "Aurora Voice\nAurora Connect", "province": "Ontario", "entity_form": "Corporation",
    "incorporation_jurisdiction": "Delaware", "incorporation_date": "2026-11-20",
    "head_office_address": "100 King Street West, Suite 5600\nToronto, Ontario M5X 1C9", "employee_count": 6,
    "revenue_band": "Under $10 million", "service_resale": 1, "service_international": 1, "service_local_voip": 1,
    "service_internet": 1,
    "service_description": "Hosted VoIP lines, long distance and resold high-speed Internet for small businesses.",
    "service_area": "Ontario", "telemarketing": 0,
    "principal_contact_name": "Dana Whitfield", "principal_contact_title": "President",
    "principal_contact_email": "dana@aurora-voice.example", "principal_contact_phone": "+1 416 555 0134",
    "regulatory_contact_name": "Marc Tremblay", "regulatory_contact_title": "Regulatory Affairs Manager",
    "regulatory_contact_email": "regulatory@aurora-voice.example", "regulatory_contact_phone": "+1 416 555 0199",
    "ccts_status": "Not a participant", "launch_date": "2027-02-01",
}


def place_crtc_order(erp: Any, customer_name: str, email: str, *, identity: str = "Pending", bundle: bool = False,
                     referral_code: str | None = None, **fields: Any) -> dict[str, Any]:
    """A CRTC registration (or a bundle: a US formation plus the registration) on one Sales Order, with its
    identity verification at `identity` (blank / Pending / Verified / Failed)."""
    customer = erp.insert("Customer", {"customer_name": customer_name, "customer_type": "Company",
                                       "email_id": email})
    items: list[dict[str, Any]] = [{"item_code": "CRTC-REGISTRATION", "item_name": "CRTC registration", "qty": 1,
                                    "rate": 1200.0, "amount": 1200.0}]
    if bundle:
        items.insert(0, {"item_code": "LLC-FORMATION", "item_name": "LLC formation (Texas)", "qty": 1,
                         "rate": 499.0, "amount": 499.0})
    total = float(sum(float(i["amount"]) for i in items))
    so = erp.insert("Sales Order", {"customer": customer["name"], "transaction_date": date.today().isoformat(),
                                    "items": items, "grand_total": total, "docstatus": 1,
                                    "custom_order_type": "bundle" if bundle else "crtc",
                                    "custom_identity_status": identity, "custom_referral_code": referral_code})
    orders: list[tuple[str, str]] = []
    extra: dict[str, Any] = {}
    if bundle:
        fo = erp.insert("Formation Order", {
            **_TX_LLC, "customer": customer["name"], "sales_order": so["name"], "entity_name": f"{customer_name} LLC",
            "purpose": "The Company is formed to provide telecommunications services.", "order_total": 499.0,
            "members": [{"member_name": "Dana Whitfield", "ownership_pct": 100, "capital": 10000,
                         "address": "1 Main Street, Austin, Texas 78701"}],
            "add_ons": [{"add_on": "Operating Agreement", "description": "Operating agreement", "amount": 99}]})
        orders.append(("Formation Order", fo["name"]))
        extra = {"order_kind": "Bundle", "formation_order": fo["name"], "entity_form": "Limited Liability Company",
                 "carrier_legal_name": f"{customer_name} LLC", "incorporation_jurisdiction": "Texas"}
    cr = erp.insert("CRTC Order", {**CRTC_ORDER, **extra, **fields, "customer": customer["name"],
                                   "sales_order": so["name"], "order_total": 1200.0})
    orders.append(("CRTC Order", cr["name"]))
    return {"customer": customer["name"], "sales_order": so["name"],
            "invoice": _unpaid_invoice(erp, customer["name"], so["name"], items, total), "orders": orders}


def _wait_comment(erp: Any, doctype: str, name: str, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = erp.list_page("Comment", fields=["content"], limit_page_length=20, filters=[
            ["reference_doctype", "=", doctype], ["reference_name", "=", name]])
        for row in rows:
            if text in str(row.get("content")):
                return str(row["content"])
        time.sleep(0.2)
    return ""


def mark_paid(erp: Any, invoice: str) -> None:
    """A Payment Entry is submitted against the invoice on the stand-in `erp` points at (ERPNext then sets the
    invoice Paid with db_set, so on_change fires); a PUT of status would be refused after submit."""
    submit_payment_entry(erp.base_url, invoice)


def presign(stack: LocalStack, customer: str, order: str) -> httpx.Response:
    """What the customer portal asks presign for, with a token for `customer` signed by the stack's secret."""
    import jwt

    assert stack.gateway is not None
    token = jwt.encode({"sub": customer, "aud": "performancewest-portal", "exp": int(time.time()) + 300},
                       JWT_SECRET, algorithm="HS256")
    return httpx.get(f"{stack.gateway.url}/function/presign", params={"order": order},
                     headers={"Authorization": f"Bearer {token}"}, timeout=30)


def operations_reviewer(stack: LocalStack, erp: Any) -> Any:
    """A staff user with the Operations role: the Workflow lets only Operations approve."""
    import secrets as _secrets

    from pwcore.clients.erpnext import ERPNext

    key, secret = _secrets.token_hex(6), _secrets.token_hex(10)
    erp.insert("User", {"email": "reviewer@performancewest.example", "first_name": "Dana", "last_name": "Reviewer",
                        "api_key": key, "api_secret": secret, "roles": [{"role": "Operations"}]})
    return ERPNext(stack.erpnext.url, key, secret, retries=2)


def run(stack: LocalStack) -> dict[str, Any]:
    from pwcore.runtime import wiring

    erp = wiring.erpnext()
    storage = wiring.storage()
    started = time.monotonic()
    from pwcore.compliance.section_generator import describe_backend

    backend = "ollama-standin" if stack.ollama is not None else f"real Ollama at {stack.ollama_url}"
    say(f"== LLM BACKEND: {describe_backend(stack.ollama_url).upper()}")
    say(f"== functions act in ERPNext as {stack.pipeline_user} (roles: {', '.join(stack.pipeline_roles)}); "
        "this demo places and pays orders as Administrator")

    say("== order 1: formation (3 members) + FLSA audit; invoice paid -> signed webhook")
    first = place_order(erp, "Rivera & Sons <Retail>", "owner@rivera-retail.example", compliance=True)
    mark_paid(erp, first["invoice"])

    say("== order 2: formation; its payment webhook is lost on purpose (all 3 of Frappe's attempts fail)")
    second = place_order(erp, "Okafor Design Studio", "hello@okafor.example", compliance=False)
    httpx.post(f"{stack.erpnext.url}/_standin/webhooks/drop_next", params={"count": 1}, timeout=5)
    mark_paid(erp, second["invoice"])

    results: dict[str, dict[str, Any]] = {}
    for doctype, name in first["orders"]:
        doc = wait_status(erp, doctype, name, {"Review"})
        results[name] = {"doctype": doctype, "status": doc["status"], "minio_path": doc.get("minio_path")}
        say(f"   {doctype} {name}: {doc['status']}")

    time.sleep(1.0)
    fo2 = erp.get(*second["orders"][0])
    say(f"== order 2 after its lost webhook: {fo2['name']} is {fo2['status']}; running the reconcile sweep")
    sweep = httpx.post(f"{stack.gateway.url}/function/reconcile", timeout=60).json()  # type: ignore[union-attr]
    reconciled = int(sweep.get("redispatched", {}).get("payment", 0))
    doctype2, name2 = second["orders"][0]
    doc = wait_status(erp, doctype2, name2, {"Review"})
    results[doc["name"]] = {"doctype": "Formation Order", "status": doc["status"],
                            "minio_path": doc.get("minio_path"), "recovered_by": "reconcile"}
    say(f"   {doc['name']}: {doc['status']} (reconciled {reconciled})")

    from pwdev.demo_lifecycle import create_agent, run_lifecycle

    agent = create_agent(erp)  # order 3 is referred: its commission is paid out at the end
    say("== order 3: CRTC carrier registration; paid while the identity verification is Pending")
    third = place_crtc_order(erp, "Northern Lights Telecom Inc.", "dana@aurora-voice.example",
                             referral_code=agent["referral_code"])
    mark_paid(erp, third["invoice"])
    cr_name = third["orders"][0][1]
    crtc_steps = [wait_status(erp, "CRTC Order", cr_name, {"Queued"})["status"]]
    waiting = _wait_comment(erp, "CRTC Order", cr_name, "waiting for identity verification")
    say(f"   {cr_name}: {crtc_steps[-1]}; comment: {waiting[:100]}...")
    erp.update("Sales Order", third["sales_order"], {"custom_identity_status": "Verified"})
    say("   identity Verified on the Sales Order; the reconcile sweep re-checks the waiting order")
    crtc_sweep = httpx.post(f"{stack.gateway.url}/function/reconcile", timeout=60).json()  # type: ignore[union-attr]
    doc = wait_status(erp, "CRTC Order", cr_name, {"Review"})
    crtc_steps.append(doc["status"])
    results[cr_name] = {"doctype": "CRTC Order", "status": doc["status"], "minio_path": doc.get("minio_path")}
    say(f"   {cr_name}: {doc['status']} (sweep: {crtc_sweep.get('redispatched')})")
    say("== review copies attached in ERPNext (private Files, PDFs stamped DRAFT - not for delivery)")
    attachments: dict[str, list[str]] = {}
    for name in results:
        rows = erp.list_page("File", fields=["file_name", "file_size", "is_private"],
                             filters=[["attached_to_name", "=", name]])
        attachments[name] = sorted(str(r["file_name"]) for r in rows)
        for r in rows:
            say(f"   {name}: {r['file_name']} ({r['file_size']} bytes, private={r['is_private']})")

    fo_name = first["orders"][0][1]
    customer = str(erp.get("Formation Order", fo_name)["customer"])
    in_review = presign(stack, customer, fo_name)
    say(f"== presign for {fo_name} while in Review: {in_review.status_code} {in_review.json().get('error', '')}")
    say(f"== reviewer (Operations) approves {fo_name} with the Workflow's Approve -> deliver webhook -> email")
    reviewer = operations_reviewer(stack, erp)
    reviewer.update("Formation Order", fo_name, {"status": "Approved"})
    delivered = wait_status(erp, "Formation Order", fo_name, {"Delivered"}, timeout=120)
    results[fo_name]["status"] = delivered["status"]
    say(f"== reviewer approves {cr_name} -> deliver webhook -> email")
    erp.update("CRTC Order", cr_name, {"status": "Approved"})
    crtc_steps.append("Approved")
    delivered_cr = wait_status(erp, "CRTC Order", cr_name, {"Delivered"}, timeout=120)
    results[cr_name]["status"] = delivered_cr["status"]
    crtc_steps.append(delivered_cr["status"])
    cs_doctype, cs_name = first["orders"][1]
    revised = revise_and_approve(erp, storage, reviewer, cs_doctype, cs_name)  # pwdev.demo_review
    results[cs_name].update(status=revised["status"], minio_path=revised["minio_path"])
    approved_by = {fo_name: str(delivered.get("approved_by") or "")}
    say(f"   approved by {approved_by[fo_name]} on {delivered.get('approved_on')}")
    after = presign(stack, customer, fo_name)
    deadline = time.monotonic() + 20  # presign keeps an order's status for PRESIGN_ORDER_CACHE_S (15 s)
    while after.status_code == 409 and time.monotonic() < deadline:
        time.sleep(1)
        after = presign(stack, customer, fo_name)
    say(f"== presign for {fo_name} after approval: {after.status_code}")
    for f in after.json().get("files", []):
        say(f"   {f['filename']}: {f['url'][:90]}...")
    access_log = show_access_log(storage, fo_name, say)
    assert stack.smtp is not None
    emails = [m["Subject"] for m in stack.smtp.messages]
    calendar = [f"{r['due_date']} {r['event_type']}: {r.get('title') or ''}".strip() for r in sorted(erp.list(
        "Compliance Calendar", fields=["due_date", "event_type", "title"],
        filters=[["formation_order", "=", fo_name]]), key=lambda r: str(r["due_date"]))]
    say(f"== {fo_name}'s compliance calendar after delivery ({len(calendar)} entries)")
    for line in calendar:
        say(f"   {line}")

    files: dict[str, list[str]] = {}
    for name, info in results.items():
        prefix = info.get("minio_path") or f"orders/{name}/"
        files[name] = [obj.key for obj in storage.list(prefix)]
    invoices = [obj.key for obj in storage.list("invoices/")]
    say("== files in s3://" + storage.bucket)
    for keys in files.values():
        for key in keys:
            say(f"   {key}")
    for key in invoices:
        say(f"   {key}")
    from pwdev.demo_analysis import run_analyses

    analysis = run_analyses()
    from pwdev.demo_llm_queue import generated_by

    say("== which function generated which order (compliance orders on their own queue)")
    generators = generated_by(stack, results)
    lifecycle = run_lifecycle(stack, erp, storage, third["sales_order"], agent)
    expected = {fo_name: "Delivered", cr_name: "Delivered", cs_name: "Delivered"}
    ok = all(info["status"] == expected.get(name, "Review") for name, info in results.items())
    ok = ok and bool(lifecycle.pop("ok"))
    return {"ok": ok, "llm_backend": backend, "orders": {n: i["status"] for n, i in results.items()},
            "files": sum(len(v) for v in files.values()), "invoices": invoices, "emails": emails,
            "reconciled": reconciled, "calendar_entries": {fo_name: calendar},
            "crtc": {"order": cr_name, "identity": ["Pending", "Verified"], "statuses": crtc_steps,
                     "files": [k.rsplit("/", 1)[1] for k in files.get(cr_name, [])]},
            "seconds": round(time.monotonic() - started, 1),
            "review_attachments": attachments, "presign_in_review": in_review.status_code,
            "presign_after_approval": after.status_code, "redlines": revised["redlines"], "approved_by": approved_by,
            "functions_user": {"user": stack.pipeline_user, "roles": stack.pipeline_roles},
            "bucket": storage.bucket, "logs": str(stack.log_dir), "analysis": analysis,
            "access_log": access_log, "generated_by": generators,
            **lifecycle}


def main() -> int:
    from pwcore.logs import configure

    configure("WARNING")  # the demo narrates on stderr; the functions' JSON logs go to the stack's log folder
    import shutil

    from pwdev.stack import FUNCTIONS, ROOT

    say(f"== starting the local stack (ERPNext, S3, SMTP, Ollama, Listmonk stand-ins; MariaDB; gateway; "
        f"{len(FUNCTIONS)} functions)")

    workdir = ROOT / ".stack" / "demo"
    shutil.rmtree(workdir, ignore_errors=True)  # a fresh ERPNext site per demo run; logs stay until the next
    from pwdev.demo_lifecycle import FUNCTION_OVERRIDES

    with LocalStack(workdir, bucket="performancewest", function_overrides=FUNCTION_OVERRIDES) as stack:
        say(json.dumps(stack.describe(), indent=1))
        summary = run(stack)
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
