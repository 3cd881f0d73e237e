"""Request checks shared by the functions that receive signed ERPNext webhooks or our own signed dispatches."""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pwcore.model import jsonsafe
from pwcore.model.doctypes import NAME_PATTERN, OrderDoctype
from pwcore.model.problems import BadRequest, MethodNotAllowed, PayloadTooLarge, Unauthorized
from pwcore.model.signatures import SIGNATURE_HEADER, WebhookSettings, verify_signature
from pwcore.runtime import cloudevents
from pwcore.settings import load_settings

M = TypeVar("M", bound=BaseModel)


class BadPayload(BadRequest):
    """The body is not JSON or does not match the schema; `field` names the first offending field."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message, field=field)
        self.field = field


class _Event(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class InvoiceEvent(_Event):
    """Body of the `pw-invoice-paid` webhook (see pwcore/data/webhooks.json)."""

    doctype: Literal["Sales Invoice"] = "Sales Invoice"
    name: str = Field(pattern=NAME_PATTERN)
    status: str = Field(default="", max_length=40)


class OrderEvent(_Event):
    """Body of order webhooks (Approved / Revision) and of generate-doc / deliver invocations."""

    doctype: OrderDoctype
    name: str = Field(pattern=NAME_PATTERN)
    status: str = Field(default="", max_length=40)
    review_notes: str = Field(default="", max_length=10_000)


# A Customer is named by its customer_name by default (Selling Settings), so "Rivera & Sons <Retail>" or
# "O'Brien (Texas)" is a real name: any text without control characters up to Frappe's 140. The welcome step
# only re-reads it from ERPNext (URL-quoted) and never puts it in a path or object key.
CUSTOMER_NAME_PATTERN = r"^[^\x00-\x1f\x7f]{1,140}$"


class CustomerEvent(_Event):
    """Body of the `pw-customer-created` webhook (Customer after_insert)."""

    doctype: Literal["Customer"]
    name: str = Field(pattern=CUSTOMER_NAME_PATTERN)


class GenerateRequest(OrderEvent):
    """generate-doc's body: the order, and the paid invoice when on-payment knows it."""

    invoice: str | None = Field(default=None, pattern=NAME_PATTERN)


class DeliverRequest(OrderEvent):
    """deliver's body; `resend` is for an operator who checked the mail log after an uncertain delivery."""

    resend: bool = False


def parse_event(body: bytes, model: type[M]) -> M:
    try:  # limits (size, depth, duplicates, NaN, huge numbers) checked before the parser runs
        data: Any = jsonsafe.loads(body, max_bytes=max(len(body), 1))
    except jsonsafe.BadJSON as exc:
        raise BadPayload(exc.reason) from None
    if not isinstance(data, dict):
        raise BadPayload("body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "body"
        raise BadPayload(f"{field}: {err['msg']}", field) from None



def signed_payload(event: Any, model: type[M]) -> M:
    """The verified, parsed body; raises a Problem (405 / 413 / 401 / 400, in that order of checks).

    A CloudEvent (binary or structured) is checked on its data (the entrypoint has unwrapped it already); the
    signature may come from the X-Frappe-Webhook-Signature header or the `pwsignature` extension.
    """
    if event.method != "POST":
        raise MethodNotAllowed("POST")
    settings = load_settings(WebhookSettings)
    event = cloudevents.parse(event) or event
    body: bytes = event.body or b""
    if len(body) > settings.max_body_bytes:
        raise PayloadTooLarge(f"body larger than {settings.max_body_bytes} bytes")
    if not verify_signature(body, cloudevents.signature_of(event), settings.secret.get_secret_value()):
        raise Unauthorized(f"missing or invalid {SIGNATURE_HEADER}")
    return parse_event(body, model)
