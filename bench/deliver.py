"""deliver for one order, approved -> Delivered, against the local stack: the deliver function served by
`python -m pwdev.runner` (subprocess), ERPNext stand-in, moto S3 and an aiosmtpd sink on loopback. Each order
has 2 PDFs + 1 DOCX in its manifest; one signed call per order, sequentially; the time is the call's round
trip (pre-flight with sha256 + PDF parse, Ready CAS, marker, SMTP, Communication, Delivered CAS).
Last line: one JSON object.

    .venv/bin/python bench/deliver.py [--orders 30]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from pwcore.clients.erpnext import ERPNext
from pwcore.clients.s3 import Storage
from pwcore.model.signatures import SIGNATURE_HEADER, sign
from pwdev.erpnext import ERPNextStandin
from pwdev.procs import FunctionProcess
from pwdev.s3 import S3Server
from pwdev.smtp_sink import SMTPSink

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "steps" / "delivery"))
from delivery_helpers import pdf_bytes  # noqa: E402

SECRET = "bench-webhook-secret-0123456789"


def make_order(erp: ERPNext, storage: Storage, i: int) -> str:
    customer = erp.insert("Customer", {"customer_name": f"Bench {i}", "email_id": f"bench{i}@example.com"})["name"]
    name = erp.insert("Formation Order", {"customer": customer, "entity_name": f"Bench {i} LLC",
                                          "entity_type": "LLC", "state": "TX", "status": "Approved"})["name"]
    prefix = f"orders/{name}/v1/"
    erp.update("Formation Order", name, {"document_version": 1, "minio_path": prefix})
    files = []
    for fname, data, ctype in (("articles.pdf", pdf_bytes(2), "application/pdf"),
                               ("operating-agreement.pdf", pdf_bytes(8), "application/pdf"),
                               ("articles.docx", b"PK fake docx" * 100, "application/octet-stream")):
        storage.put_bytes(prefix + fname, data, ctype)
        files.append({"key": prefix + fname, "filename": fname, "size": len(data), "content_type": ctype,
                      "sha256": hashlib.sha256(data).hexdigest()})
    storage.put_bytes(prefix + "manifest.json",
                      json.dumps({"order": name, "doctype": "Formation Order", "version": 1, "customer": customer,
                                "files": files}).encode(), "application/json")
    return str(name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        erp_standin = ERPNextStandin().start()
        s3 = S3Server(bucket="pw-bench-deliver").start()
        sink = SMTPSink().start()
        fn = None
        try:
            erp = ERPNext(erp_standin.url, "dev-key", "dev-secret")
            storage = Storage(s3.endpoint, s3.access_key, s3.secret_key, s3.bucket)
            names = [make_order(erp, storage, i) for i in range(args.orders + 1)]
            env = {**s3.env(), **sink.env(), "ERPNEXT_URL": erp_standin.url, "ERPNEXT_API_KEY": "dev-key",
                   "ERPNEXT_API_SECRET": "dev-secret", "WEBHOOK_SECRET": SECRET, "SECRETS_DIR": tmp}
            fn = FunctionProcess("deliver", ROOT / "functions" / "deliver", env,
                                 log_path=Path(tmp) / "deliver.log").start()
            times: list[float] = []
            with httpx.Client(timeout=60) as http:
                for i, name in enumerate(names):
                    body = json.dumps({"doctype": "Formation Order", "name": name, "status": "Approved"}).encode()
                    t0 = time.perf_counter()
                    answer = http.post(fn.url, content=body, headers={SIGNATURE_HEADER: sign(body, SECRET),
                                                                      "Content-Type": "application/json"})
                    elapsed = time.perf_counter() - t0
                    if answer.status_code != 200 or answer.json().get("status") != "delivered":
                        raise RuntimeError(f"{name}: {answer.status_code} {answer.text[:200]}")
                    if i:  # the first call pays the imports and client set-up (cold start)
                        times.append(elapsed)
                    else:
                        cold = elapsed
            delivered = sum(1 for n in names if erp.get("Formation Order", n)["status"] == "Delivered")
            emails = len(sink.messages)
        finally:
            if fn is not None:
                fn.stop()
            sink.stop()
            s3.stop()
            erp_standin.stop()
    times.sort()
    print(json.dumps({"bench": "deliver", "orders": len(times), "p50_ms": round(statistics.median(times) * 1000, 1),
                      "p90_ms": round(times[int(0.9 * (len(times) - 1))] * 1000, 1),
                      "max_ms": round(times[-1] * 1000, 1), "cold_first_ms": round(cold * 1000, 1),
                      "delivered": delivered, "emails": emails}))


if __name__ == "__main__":
    main()
