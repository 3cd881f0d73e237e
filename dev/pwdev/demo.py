"""`make demo`: the main job on the local stack, end to end, driven by ERPNext webhooks.

A customer buys a formation (3 members) and an FLSA audit on one Sales Order; the invoice is marked paid in
the ERPNext stand-in, which sends the signed webhook; on-payment queues both orders; generate-doc renders
them (the audit's analysis sections written by the LLM); both reach Review; the formation order is approved
and delivered by email. A second customer's payment webhook is dropped on purpose, and the reconcile sweep
recovers it. The last line printed is a JSON summary.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import date, timedelta
from typing import Any

import httpx

from pwdev.erpnext import submit_payment_entry
from pwdev.stack import LocalStack

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
                                    "custom_order_type": "bundle" if compliance else "formation",
                                    "custom_referral_code": referral_code})
    entity = f"{customer_name.split(' <')[0]} Holdings"
    fo = erp.insert("Formation Order", {
        "customer": customer["name"], "sales_order": so["name"], "entity_name": entity, "entity_type": "LLC",
        "state": "TX", "management_type": "Member-Managed", "registered_agent": "Performance West Agents LLC",
        "order_total": 499.0,
        "members": [
            {"member_name": "Ana Rivera", "ownership_pct": 50, "capital": 25000, "address": "1 Main St, Austin TX"},
            {"member_name": "Ben O'Neil", "ownership_pct": 30, "capital": 15000, "address": "2 Oak Ave, Dallas TX"},
            {"member_name": "Chen Wei", "ownership_pct": 20, "capital": 10000, "address": "3 Elm Rd, Houston TX"},
        ]})
    orders = [("Formation Order", fo["name"])]
    if compliance:
        cs = erp.insert("Compliance Service", {
            "customer": customer["name"], "sales_order": so["name"], "service_type": "FLSA Audit",
            "entity_name": entity, "state": "TX", "order_total": 1500.0, "intake_data": json.dumps(FLSA_INTAKE)})
        orders.append(("Compliance Service", cs["name"]))
    invoice = erp.insert("Sales Invoice", {
        "customer": customer["name"], "posting_date": date.today().isoformat(),
        "due_date": (date.today() + timedelta(days=7)).isoformat(), "custom_surcharge_pct": 3,
        "custom_payment_gateway": "stripe",
        "items": [{**i, "sales_order": so["name"]} for i in items], "total": total,
        "grand_total": round(total * 1.03, 2), "outstanding_amount": round(total * 1.03, 2), "status": "Unpaid",
        "docstatus": 1})
    return {"customer": customer["name"], "sales_order": so["name"], "invoice": invoice["name"], "orders": orders}


def mark_paid(erp: Any, invoice: str) -> None:
    """A Payment Entry is submitted against the invoice on the stand-in `erp` points at (ERPNext then sets the
    invoice Paid with db_set, so on_change fires); a PUT of status would be refused after submit."""
    submit_payment_entry(erp.base_url, invoice)


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

    fo_name = first["orders"][0][1]
    say(f"== reviewer approves {fo_name} -> deliver webhook -> email")
    erp.update("Formation Order", fo_name, {"status": "Approved"})
    delivered = wait_status(erp, "Formation Order", fo_name, {"Delivered"}, timeout=120)
    results[fo_name]["status"] = delivered["status"]
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
    expected = {fo_name: "Delivered"}
    ok = all(info["status"] == expected.get(name, "Review") for name, info in results.items())
    return {"ok": ok, "llm_backend": backend, "orders": {n: i["status"] for n, i in results.items()},
            "files": sum(len(v) for v in files.values()), "invoices": invoices, "emails": emails,
            "reconciled": reconciled, "calendar_entries": {fo_name: calendar},
            "seconds": round(time.monotonic() - started, 1),
            "functions_user": {"user": stack.pipeline_user, "roles": stack.pipeline_roles},
            "bucket": storage.bucket, "logs": str(stack.log_dir)}


def main() -> int:
    from pwcore.logs import configure

    configure("WARNING")  # the demo narrates on stderr; the functions' JSON logs go to the stack's log folder
    say("== starting the local stack (ERPNext, S3, SMTP, Ollama stand-ins; gateway; 7 functions)")
    import shutil

    from pwdev.stack import ROOT

    workdir = ROOT / ".stack" / "demo"
    shutil.rmtree(workdir, ignore_errors=True)  # a fresh ERPNext site per demo run; logs stay until the next
    with LocalStack(workdir, bucket="performancewest") as stack:
        say(json.dumps(stack.describe(), indent=1))
        summary = run(stack)
    print(json.dumps(summary))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
