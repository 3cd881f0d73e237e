"""`pw`: the operator's command line (templates, rendering, ERPNext setup, access log, function requirements)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pwcore.admin.requirements import cmd_requirements
from pwcore.clients.erpnext import ERPNextSettings
from pwcore.clients.s3 import S3Settings
from pwcore.model.signatures import WebhookSettings
from pwcore.settings import load_settings


def _fail(message: str, code: int = 2) -> int:
    print(f"pw: {message}", file=sys.stderr)
    return code


def cmd_templates_upload(args: argparse.Namespace) -> int:
    from pwcore.clients.s3 import Storage

    storage = Storage.from_settings(load_settings(S3Settings))
    storage.ensure_bucket()
    from pwcore.admin.templates import TemplatesIncomplete, upload_templates

    try:
        uploaded = upload_templates(storage, Path(args.dir))
    except TemplatesIncomplete as exc:
        return _fail(str(exc))
    print(json.dumps({"uploaded": uploaded, "bucket": storage.bucket}))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from pwcore.admin.render import render_to_folder

    docx, pdf = render_to_folder(Path(args.template), Path(args.data), Path(args.out))
    print(json.dumps({"docx": str(docx), "pdf": str(pdf)}))
    return 0


def cmd_preview(args: argparse.Namespace) -> int:
    from pwcore.admin.render import is_compliance_order, preview_order
    from pwcore.documents.render import TemplateError
    from pwcore.model.problems import OrderFailure

    errors: tuple[type[Exception], ...] = (OSError, ValueError, TemplateError, OrderFailure)
    try:
        order = json.loads(Path(args.order).read_text(encoding="utf-8")).get("order")
    except (OSError, ValueError, AttributeError):
        order = None  # preview_order names the problem
    if isinstance(order, dict) and is_compliance_order(order):
        from pwcore.clients.ollama_api import OllamaSettings
        from pwcore.compliance.section_generator import LLMError, describe_backend

        errors += (LLMError,)
        # Say whose text the sections are: a stand-in's prose is synthetic.
        print(f"pw preview: sections by {describe_backend(load_settings(OllamaSettings).host)}", file=sys.stderr)
    try:
        written = preview_order(Path(args.order), Path(args.out), Path(args.templates))
    except errors as exc:
        return _fail(str(exc)[:500])
    print(json.dumps({"files": [str(p) for p in written]}))
    return 0


def cmd_ss4_worksheet(args: argparse.Namespace) -> int:
    from pwcore.admin.render import ss4_worksheet
    from pwcore.clients.erpnext import ERPNext, ERPNextError

    erp = ERPNext.from_settings(load_settings(ERPNextSettings))
    try:
        path = ss4_worksheet(erp, args.order, Path(args.out), Path(args.templates))
    except (ERPNextError, ValueError) as exc:
        return _fail(str(exc)[:500])
    print(json.dumps({"files": [str(path)]}))
    return 0


def cmd_erpnext_setup(args: argparse.Namespace) -> int:
    from pwcore.admin.erpnext_setup import Setup, module_def_warnings
    from pwcore.clients.erpnext import AuthError, ERPNext, ERPNextError, Forbidden

    erp = ERPNext.from_settings(load_settings(ERPNextSettings))
    secret = load_settings(WebhookSettings).secret.get_secret_value()
    try:
        erp.logged_user()
    except (AuthError, Forbidden):
        return _fail("ERPNext refused the credentials: check ERPNEXT_API_KEY and ERPNEXT_API_SECRET "
                     f"(the API key/secret of a System Manager user on {erp.base_url})")
    except ERPNextError as exc:
        return _fail(f"cannot reach ERPNext at {erp.base_url} (ERPNEXT_URL): {exc}")
    apply = not (args.dry_run or args.check)
    plan = Setup(erp, args.gateway_url, secret, rotate_secret=args.rotate_secret).plan_and_apply(apply=apply)
    if not apply:
        for warning in module_def_warnings(plan):
            print(f"warning: {warning}")
    for change in plan.pending:
        print(f"{'would ' if not apply else ''}{change.action} {change.kind} {change.name}")
        if args.dry_run and change.diff:
            print(change.diff)
    if not plan.pending:
        print("ERPNext is already set up: nothing to change")
    problems = site_problems(erp, check_pipeline=args.check)
    for problem in problems:
        print(f"{'problem' if args.check else 'warning'}: {problem}")
    summary = plan.summary()
    summary["problems"] = problems
    print(json.dumps(summary))
    return 1 if (args.check and (plan.pending or problems)) else 0


def site_problems(erp: Any, check_pipeline: bool) -> list[str]:
    """What the declarative files cannot express: the site's time zone, and (with --check) whether the
    pipeline user can do the reads the functions need, tried with its own key."""
    from pwcore.admin.erpnext_setup import PipelineCredentials, pipeline_permission_problems, time_zone_problem
    from pwcore.clients.erpnext import ERPNext, ERPNextError

    settings = load_settings(ERPNextSettings)
    problems: list[str] = []
    try:
        tz = time_zone_problem(erp, settings.timezone)
    except ERPNextError as exc:
        tz = f"cannot read System Settings time_zone ({exc.status} {exc.exc_type}): run with a System Manager key"
    if tz:
        problems.append(tz)
    if not check_pipeline:
        return problems
    creds = load_settings(PipelineCredentials)
    if creds.api_key is None or creds.api_secret is None:
        print("note: the pipeline user's permissions were not tried: set ERPNEXT_PIPELINE_API_KEY and "
              "ERPNEXT_PIPELINE_API_SECRET (the key the functions use) to check them")
        return problems
    pipeline = ERPNext(settings.url, creds.api_key.get_secret_value(), creds.api_secret.get_secret_value(),
                       timeout_s=settings.timeout_s, retries=1)
    try:
        user = pipeline.logged_user()
    except ERPNextError as exc:
        return [*problems, f"ERPNext refused ERPNEXT_PIPELINE_API_KEY / ERPNEXT_PIPELINE_API_SECRET ({exc.status})"]
    if user == "Administrator":
        problems.append("the pipeline key is Administrator's: give the functions their own user with the roles of "
                        "pipeline_user in roles.json (least privilege)")
    problems += pipeline_permission_problems(pipeline)
    return problems






def cmd_sales_agent_add(args: argparse.Namespace) -> int:
    from pwcore.admin.agents import add_agent
    from pwcore.clients.erpnext import ERPNext

    erp = ERPNext.from_settings(load_settings(ERPNextSettings))
    print(json.dumps(add_agent(erp, args.name, args.email, args.referral_code)))
    return 0


def cmd_sensitive_id_add(args: argparse.Namespace) -> int:
    """The plain value is read from stdin (never argv, which other users of the machine can see)."""
    from pwcore.clients.erpnext import ERPNext
    from pwcore.model.sensitive_ids import InvalidSensitiveId, mask_id

    value = sys.stdin.readline().strip()
    try:
        masked = mask_id(args.type, value)
    except InvalidSensitiveId as exc:
        return _fail(str(exc))
    erp = ERPNext.from_settings(load_settings(ERPNextSettings))
    doc = erp.insert("Sensitive ID", {"customer": args.customer, "id_type": args.type, "id_value": value,
                                      "id_masked": masked, "entity_name": args.entity_name or None})
    print(json.dumps({"name": doc["name"], "customer": args.customer, "id_type": args.type, "id_masked": masked}))
    return 0


def cmd_payouts_run(args: argparse.Namespace) -> int:
    import datetime as dt

    from pwcore.clients.erpnext import ERPNext
    from pwcore.clients.s3 import Storage
    from pwcore.model.clock import today_in
    from pwcore.orders.payouts import run_payouts

    settings = load_settings(ERPNextSettings)
    erp = ERPNext.from_settings(settings)
    storage = Storage.from_settings(load_settings(S3Settings))
    day = dt.date.fromisoformat(args.date) if args.date else today_in(settings.timezone)
    print(json.dumps(run_payouts(erp, storage, day, dry_run=args.dry_run).as_dict()))
    return 0


def cmd_access_log(args: argparse.Namespace) -> int:
    """Who fetched what, when: the order's access-log records (pwcore.orders.access_log), oldest first."""
    import datetime as dt

    from pwcore.clients.s3 import Storage
    from pwcore.model.doctypes import UnsafeName
    from pwcore.model.layout import ACCESS_LOG_RETENTION_DAYS
    from pwcore.orders.access_log import read

    try:
        today = dt.datetime.now(dt.UTC).date()
        until = dt.date.fromisoformat(args.until) if args.until else today
        since = (dt.date.fromisoformat(args.since) if args.since
                 else until - dt.timedelta(days=ACCESS_LOG_RETENTION_DAYS))
        records = read(Storage.from_settings(load_settings(S3Settings)), args.order, since, until)
        for record in records:
            print(_access_row(record) if args.table else json.dumps(record, sort_keys=True))
    except (UnsafeName, ValueError) as exc:
        return _fail(str(exc)[:300])
    return 0


def _access_row(r: dict[str, Any]) -> str:
    who = r.get("customer") if r.get("event") == "presign" else r.get("recipient")
    what = ", ".join(str(f) for f in r.get("files") or []) or "-"
    extra = f"client {r.get('client') or '-'}" if r.get("event") == "presign" else f"message {r.get('message_id')}"
    return "\t".join(str(x) for x in (r.get("at"), r.get("event"), r.get("outcome", "sent"), r.get("order"),
                                      f"v{r.get('version')}", who, what, extra))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pw", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    tpl = sub.add_parser("templates", help="template operations")
    tsub = tpl.add_subparsers(dest="action", required=True)
    up = tsub.add_parser("upload", help="upload templates/*.docx and manifest.json to S3 templates/")
    up.add_argument("--dir", default="templates")
    up.set_defaults(func=cmd_templates_upload)
    render = sub.add_parser("render", help="render a template with JSON data to DOCX + PDF (no ERPNext, no S3)")
    render.add_argument("template")
    render.add_argument("data")
    render.add_argument("--out", default="out")
    render.set_defaults(func=cmd_render)
    prev = sub.add_parser("preview", help="render every document of an order JSON (a Formation Order + Customer + "
                          "Sales Order, or a Compliance Service + Customer, its sections written by the LLM at "
                          "OLLAMA_HOST) through generate-doc's code path to DOCX + PDF (no ERPNext, no S3)")
    prev.add_argument("order")
    prev.add_argument("--out", default="out")
    prev.add_argument("--templates", default="templates")
    prev.set_defaults(func=cmd_preview)
    ss4 = sub.add_parser("ss4-worksheet", help="render the operator's Form SS-4 worksheet of an order from ERPNext "
                         "to a local PDF (never stored; reads the responsible party's number for this render)")
    ss4.add_argument("order")
    ss4.add_argument("--out", default="out")
    ss4.add_argument("--templates", default="templates")
    ss4.set_defaults(func=cmd_ss4_worksheet)
    setup = sub.add_parser("erpnext-setup", help="create/update DocTypes, custom fields and webhooks in ERPNext")
    setup.add_argument("--gateway-url", required=True, help="public URL of the OpenFaaS gateway ERPNext calls")
    mode = setup.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print what would change, as a diff")
    mode.add_argument("--check", action="store_true", help="exit 1 when the site differs")
    setup.add_argument("--rotate-secret", action="store_true",
                       help="write WEBHOOK_SECRET into every webhook (ERPNext never shows the current one)")
    setup.set_defaults(func=cmd_erpnext_setup)
    agent = sub.add_parser("sales-agent", help="referring Sales Agents")
    asub = agent.add_subparsers(dest="action", required=True)
    add = asub.add_parser("add", help="create a Sales Agent, its user (role Sales Agent) and the User Permission "
                          "that limits it to its own Commission Ledger")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument("--referral-code", required=True, help="REF-XXXXX")
    add.set_defaults(func=cmd_sales_agent_add)
    sid = sub.add_parser("sensitive-id", help="SSN / EIN / ITIN records")
    ssub = sid.add_subparsers(dest="action", required=True)
    sadd = ssub.add_parser("add", help="store a Sensitive ID (value on stdin) with its masked form")
    sadd.add_argument("--customer", required=True)
    sadd.add_argument("--type", required=True, choices=["SSN", "EIN", "ITIN"])
    sadd.add_argument("--entity-name", default="")
    sadd.set_defaults(func=cmd_sensitive_id_add)
    pay = sub.add_parser("payouts", help="commission payouts")
    psub = pay.add_subparsers(dest="action", required=True)
    run = psub.add_parser("run", help="Eligible commissions -> Paid, batch CSV to S3 payouts/{date}/")
    run.add_argument("--date", help="batch date YYYY-MM-DD (default: today in ERPNext's time zone)")
    run.add_argument("--dry-run", action="store_true", help="print the batch, change nothing")
    run.set_defaults(func=cmd_payouts_run)
    alog = sub.add_parser("access-log", help="who fetched what, when: an order's presign answers, deliveries and "
                          "resends from the access log in S3 (JSON lines, oldest first)")
    alog.add_argument("--order", required=True)
    alog.add_argument("--since", help="first UTC day YYYY-MM-DD (default: the retention, 365 days before --until)")
    alog.add_argument("--until", help="last UTC day YYYY-MM-DD (default: today)")
    alog.add_argument("--table", action="store_true", help="tab-separated lines instead of JSON")
    alog.set_defaults(func=cmd_access_log)
    req = sub.add_parser("requirements", help="write functions/*/requirements.txt from pyproject.toml")
    req.add_argument("--root", default=".")
    req.add_argument("--check", action="store_true")
    req.set_defaults(func=cmd_requirements)
    args = parser.parse_args(argv)
    from pwcore.settings import ConfigError

    try:
        return int(args.func(args))
    except ConfigError as exc:
        return _fail(str(exc))


if __name__ == "__main__":
    sys.exit(main())
