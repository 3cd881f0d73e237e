"""`pw`: the operator's command line (templates, rendering, ERPNext setup, function requirements)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

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
    folder = Path(args.dir)
    uploaded = []
    for path in sorted(folder.iterdir()):
        if path.suffix not in {".docx", ".json"} or not path.is_file():
            continue
        ctype = "application/json" if path.suffix == ".json" else (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        storage.put_bytes(f"templates/{path.name}", path.read_bytes(), ctype)
        uploaded.append(path.name)
    print(json.dumps({"uploaded": uploaded, "bucket": storage.bucket}))
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from pwcore.admin.render import render_to_folder

    docx, pdf = render_to_folder(Path(args.template), Path(args.data), Path(args.out))
    print(json.dumps({"docx": str(docx), "pdf": str(pdf)}))
    return 0


def cmd_erpnext_setup(args: argparse.Namespace) -> int:
    from pwcore.admin.erpnext_setup import Setup
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
    for change in plan.pending:
        print(f"{'would ' if not apply else ''}{change.action} {change.kind} {change.name}")
        if args.dry_run and change.diff:
            print(change.diff)
    if not plan.pending:
        print("ERPNext is already set up: nothing to change")
    print(json.dumps(plan.summary()))
    return 1 if (args.check and plan.pending) else 0






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
    setup = sub.add_parser("erpnext-setup", help="create/update DocTypes, custom fields and webhooks in ERPNext")
    setup.add_argument("--gateway-url", required=True, help="public URL of the OpenFaaS gateway ERPNext calls")
    mode = setup.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print what would change, as a diff")
    mode.add_argument("--check", action="store_true", help="exit 1 when the site differs")
    setup.add_argument("--rotate-secret", action="store_true",
                       help="write WEBHOOK_SECRET into every webhook (ERPNext never shows the current one)")
    setup.set_defaults(func=cmd_erpnext_setup)
    pay = sub.add_parser("payouts", help="commission payouts")
    psub = pay.add_subparsers(dest="action", required=True)
    run = psub.add_parser("run", help="Eligible commissions -> Paid, batch CSV to S3 payouts/{date}/")
    run.add_argument("--date", help="batch date YYYY-MM-DD (default: today in ERPNext's time zone)")
    run.add_argument("--dry-run", action="store_true", help="print the batch, change nothing")
    run.set_defaults(func=cmd_payouts_run)
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
