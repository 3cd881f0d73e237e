"""Which documents a Formation Order gets: the rules, in one place.

One row per document (the template id is also the stored file's name: orders/{name}/v{n}/<id>.pdf + .docx):

| document | entity | when | audience |
|---|---|---|---|
| operating-agreement | LLC | the Operating Agreement add-on was bought | customer |
| articles-of-organization | LLC | always (filing-ready draft, titled per state) | customer |
| organizer-statement | LLC | always (organizer's hand-over and the initial consent) | customer |
| corporate-bylaws, articles-of-incorporation, organizational-consent, share-ledger | Corporation | always | customer |
| nonprofit-bylaws, nonprofit-articles, conflict-of-interest-policy | Nonprofit | always | customer |
| ein-confirmation | any | the EIN add-on was bought and the EIN is recorded on the order | customer |
| ss4-worksheet | any | the EIN add-on was bought and no EIN is recorded yet | operator |

Decisions:
- The operating agreement is a priced add-on ("Operating Agreement"), so an LLC order without it gets the
  formation filing and the organizer's statement only; buying it adds the agreement in its variant.
- The SS-4 worksheet is the operator's and holds the responsible party's full SSN/ITIN on line 7b: it is
  never stored, never in a manifest and never delivered. generate-doc does not render it and never reads the
  number; the operator renders it on demand on their own machine with `pw ss4-worksheet ORDER --out DIR`
  (their ERPNext key reads the Sensitive ID through `frappe.client.get_password`, for that render only), or
  `pw preview` for a sample order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Audience = Literal["customer", "operator"]


@dataclass(frozen=True)
class DocumentRule:
    template: str
    kinds: frozenset[str]
    when: Callable[[Mapping[str, Any]], bool]
    audience: Audience = "customer"


def _always(ctx: Mapping[str, Any]) -> bool:
    return True


LLC, CORP, NONPROFIT = frozenset({"llc"}), frozenset({"corporation"}), frozenset({"nonprofit"})
ANY = LLC | CORP | NONPROFIT

RULES: tuple[DocumentRule, ...] = (
    DocumentRule("operating-agreement", LLC, lambda c: bool(c["addons"]["operating_agreement"])),
    DocumentRule("articles-of-organization", LLC, _always),
    DocumentRule("organizer-statement", LLC, _always),
    DocumentRule("corporate-bylaws", CORP, _always),
    DocumentRule("articles-of-incorporation", CORP, _always),
    DocumentRule("organizational-consent", CORP, _always),
    DocumentRule("share-ledger", CORP, _always),
    DocumentRule("nonprofit-bylaws", NONPROFIT, _always),
    DocumentRule("nonprofit-articles", NONPROFIT, _always),
    DocumentRule("conflict-of-interest-policy", NONPROFIT, _always),
    DocumentRule("ein-confirmation", ANY, lambda c: bool(c["addons"]["ein"]) and "ein" in c),
    DocumentRule("ss4-worksheet", ANY, lambda c: bool(c["addons"]["ein"]) and "ein" not in c, "operator"),
)

TEMPLATES: tuple[str, ...] = tuple(r.template for r in RULES)


def documents_for(ctx: Mapping[str, Any], audience: Audience = "customer") -> list[str]:
    """Template ids of the order's documents for `audience`, in delivery order."""
    return [r.template for r in RULES
            if r.audience == audience and ctx["entity_kind"] in r.kinds and r.when(ctx)]
