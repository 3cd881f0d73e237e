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
    from pwcore.admin.render import preview_order
    from pwcore.documents.render import TemplateError

    try:
        written = preview_order(Path(args.order), Path(args.out), Path(args.templates))
    except (OSError, ValueError, TemplateError) as exc:
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
    prev = sub.add_parser("preview", help="render every document of an order JSON (order + Customer + Sales "
                          "Order) through generate-doc's code path to DOCX + PDF (no ERPNext, no S3)")
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
