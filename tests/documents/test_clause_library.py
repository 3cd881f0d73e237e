"""Clause library: the parser refuses bad markup with file:line, the builder numbers without gaps and is
deterministic, and every LLC variant renders to a PDF that reads right (render -> soffice -> pdftotext)."""

from __future__ import annotations

import io
import re
import sys
from functools import cache
from pathlib import Path

import pytest
from docx import Document

from pwcore.documents import clause_check, clauses
from pwcore.documents.render import TemplateFieldMissing, render_docx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import formation_samples as fs
from clause_builder import compiled, tool

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "templates" / "clauses"



@cache
def rendered(doc: str, sample: str) -> clause_check.Rendered:
    return clause_check.render_check(compiled(doc), fs.sample(sample))


# --- parser -------------------------------------------------------------------------------------------

BAD = [
    ("Text {{ entity_name here.\n", 1, "unclosed"),
    ("# Formation\n\n{%p if x %}\n", 3, "docxtpl"),
    ("# Formation\n\n## 1.1 Name. The name.\n", 3, "do not number"),
    ("# Article 1 Formation\n", 1, "do not number"),
    ("Para one.\n\nAs stated in Section 3.2 above.\n", 3, "numbered cross-reference"),
    ("Intro.\n\n{% if single_member %}\nText.\n", 3, "never closed"),
    ("Text.\n{% endif %}\n", 2, "without an open"),
    ("::: table members\nA | B\n{{ row.a }} | {{ row.b }}\n", 1, "never closed"),
    ("::: sidebar\ntext\n:::\n", 1, "unknown block kind"),
    ("The {{ entity_name | title }} agrees.\n", 1, "filter 'title' not allowed"),
    ("### Deep heading\n", 1, "heading level"),
    ("Some **bold text.\n", 1, "unbalanced"),
    ('+++\nauthor = "x"\n+++\nText.\n', 1, "front matter keys"),
    ("## Name without run-in heading\n", 1, "run-in heading"),
    ("::: table members\nA | B\n{{ row.a }}\n:::\n", 3, "expected 2 columns"),
    ("Line one\n{% for m in members %} x {% endfor %} and {% set y = 1 %}\n", 1, "not allowed"),
    ("{% if a == %}\nx\n{% endif %}\n", 1, "bad expression"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_bad_markup_is_refused_with_file_and_line(text: str, line: int, message: str) -> None:
    with pytest.raises(clauses.ClauseSyntaxError) as err:
        clauses.parse_text(text, "demo/01-x.md")
    assert str(err.value).startswith(f"demo/01-x.md:{line}:"), str(err.value)
    assert message in str(err.value)


def test_document_toml_errors_name_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "document.toml").write_text(
        'id = "demo"\nfilename = "demo"\ntitle = "Demo"\napplies_to = ["llc"]\nparts = ["01-a.md"]\n'
    )
    with pytest.raises(clauses.ClauseSyntaxError, match=r"^demo/document.toml:1: part '01-a.md'"):
        clauses.load_document(folder)
    (folder / "01-a.md").write_text("# Heading\n\n## Name. Fine.\n\n(a) item\n\n{% if x %}\n")
    with pytest.raises(clauses.ClauseSyntaxError, match=r"^demo/01-a.md:7: "):
        clauses.load_document(folder)


def test_parser_blocks() -> None:
    cf = clauses.parse_text(
        '+++\nwhen = "is_llc"\nsources = ["6 Del. C. § 18-201"]\n+++\n# Formation\n\n'
        "## Name. The name is\n{{ entity_name }}.\n\n(a) first\n(a) second\n\n{% if single_member %}\n"
        "- bullet\n{% endif %}\n\n::: signature one organizer\n\n::: pagebreak\n",
        "x.md",
    )
    kinds = [type(b).__name__ for b in cf.blocks]
    assert kinds == ["Article", "Section", "Item", "Item", "Control", "Bullet", "Control", "Signature", "PageBreak"]
    section = cf.blocks[1]
    assert isinstance(section, clauses.Section)
    assert section.heading == "Name." and section.text == "The name is {{ entity_name }}."  # joined, no hard break
    assert cf.when == "is_llc" and cf.sources == ("6 Del. C. § 18-201",)


# --- builder ------------------------------------------------------------------------------------------


def _mini_library(tmp_path: Path) -> Path:
    folder = tmp_path / "mini"
    folder.mkdir()
    (folder / "document.toml").write_text(
        'id = "mini"\nfilename = "mini"\ntitle = "Mini Agreement"\nheader = "{{ entity_name }}"\n'
        'footer = "Mini"\napplies_to = ["llc"]\n'
    )
    (folder / "01-a.md").write_text(
        "# Alpha\n\n## First. One.\n\n{% if extra %}\n## Second. Two.\n{% endif %}\n\n## Third. Three.\n\n"
        "(a) apple;\n{% if extra %}\n(a) banana;\n{% endif %}\n(a) cherry.\n\n"
        "{% if extra %}\n# Beta\n\n## Beta One. B.\n{% endif %}\n\n# Gamma\n\n## Gamma One. G.\n"
    )
    return folder


def test_conditional_clauses_leave_no_numbering_gap(tmp_path: Path) -> None:
    data = tool().compile_document(clauses.load_document(_mini_library(tmp_path)))
    full = clause_check.render_check(data, {"entity_name": "Acme LLC", "extra": True}).flat
    short = clause_check.render_check(data, {"entity_name": "Acme LLC", "extra": False}).flat
    assert "1.3 Third." in full and "(b) banana" in full and "Article 3. Gamma" in full
    assert "1.2 Third." in short and "1.3" not in short
    assert "(b) cherry" in short and "banana" not in short
    assert "Article 2. Gamma" in short and "Beta" not in short
    assert "Page 1 of 1" in short


def test_build_is_deterministic_and_committed_output_is_current() -> None:
    spec = clauses.load_document(LIBRARY / "operating-agreement")
    assert tool().compile_document(spec) == tool().compile_document(spec)
    assert tool().main(["--check"]) == 0


def test_every_tag_is_in_one_run() -> None:
    """docxtpl needs `{{`/`{%` unsplit; the builder writes each tag inside one run's text."""
    import zipfile

    for doc in ("operating-agreement", "articles-of-organization", "organizer-statement"):
        xml = zipfile.ZipFile(io.BytesIO(compiled(doc))).read("word/document.xml").decode()
        for text in re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", xml):
            assert text.count("{{") == text.count("}}"), (doc, text)
            assert text.count("{%") == text.count("%}"), (doc, text)


def test_tag_split_across_runs_still_renders() -> None:
    """Word splits `{{ entity_name }}` into runs after an edit; docxtpl joins runs inside a tag."""
    doc = Document()
    para = doc.add_paragraph()
    para.add_run("The company is {{ entity")
    para.add_run("_name }}.").bold = True
    buf = io.BytesIO()
    doc.save(buf)
    out = Document(io.BytesIO(render_docx(buf.getvalue(), {"entity_name": "Harbor Lane Ventures LLC"})))
    assert out.paragraphs[0].text == "The company is Harbor Lane Ventures LLC."


# --- the LLC documents, per variant ----------------------------------------------------------------------

VARIANTS = list(fs.SAMPLES)
COMMON_HEADINGS = [
    "Definitions",
    "Formation of the Company",
    "Registered Agent and Office",
    "Capital Contributions and Capital",
    "Capital Accounts",
    "Additional Capital Contributions",
    "Loans.",
    "No Interest on Capital",
    "No Withdrawal or Return of Capital",
    "Tax Matters",
    "Allocations and Distributions",
    "Management",
    "Major Decisions",
    "Officers.",
    "Meetings, Voting and Consents",
    "Exculpation.",
    "Indemnification.",
    "Transfers and Admission of Members",
    "Dissolution and Winding Up",
    "Order of Distribution",
    "Books and Records",
    "Fiscal Year",
    "Bank Accounts",
    "Amendments.",
    "Notices.",
    "Electronic Signatures.",
    "Severability.",
    "Governing Law.",
    "Entire Agreement.",
    "Dispute Resolution.",
    "SCHEDULE A",
]


@pytest.mark.parametrize("sample", VARIANTS)
def test_operating_agreement_variant(sample: str) -> None:
    ctx = fs.sample(sample)
    r = rendered("operating-agreement", sample)
    text = r.flat
    assert 12 <= r.pages <= 25, r.pages
    for heading in COMMON_HEADINGS:
        assert heading in text, heading
    state = ctx["state"]
    assert state["the_state"] in text and f"State of {state['code']}" not in text
    assert ctx["entity_designation"] in text
    assert state["formation_document"] in text and state["act_cite"] in text
    assert ctx["registered_agent"]["address"] in text
    assert "LLC LLC" not in text and "{{" not in text and "{%" not in text
    assert "as provided in this document" not in text
    if ctx["member_managed"]:
        assert "Manager" not in text
    else:
        assert "Management by Managers" in text and "SCHEDULE B" in text
        for m in ctx["managers"]:
            assert m["name"] in text
    assert "senior representatives" not in text  # individual members negotiate in person
    assert "and any franchise or similar tax that the state imposes" in text and "fee and franchise tax" not in text
    if ctx["single_member"]:
        assert "other Members" not in text and "Percentage Interest" not in text
        assert "Single-Member Limited Liability Company Operating Agreement" in text
        assert "sole member" in text
        assert "no Member owns" not in text and "the Member does not own any Company property" in text
        assert "their respective heirs" not in text and "the Member\u2019s heirs" in text
        if ctx["member_managed"]:
            assert "that the Member selects and registers as an assumed" in text
        # headings promise only what a one-member agreement holds: no partnership, counterparts or buy-sell
        assert "Separate Entity. The Company" in text and "No Partnership Intended" not in text
        assert "Counterparts" not in text and "Buy-Sell" not in text and "purchase provisions" not in text
        assert "Withdrawal, Death and Incapacity" in text
    else:
        for heading in (
            "Right of First Refusal",
            "Partnership Representative",
            "Valuation.",
            "Tax Distributions",
            "Quorum.",
            "Action by Written Consent",
            "Buy-Sell on Dissociation",
            "Separate Entity; No Partnership Intended.",
            "Counterparts and Electronic Signatures.",
            "Withdrawal, Death, Incapacity and Buy-Sell",
        ):
            assert heading in text, heading
        # "Major Decision" (notice, voting, admission) is defined where the list is
        assert "actions (each a \u201cMajor Decision\u201d) without Supermajority Approval" in text
        assert ctx["partnership_representative"]["name"] in text
        # the buy-out of an involuntary transfer points at the section that holds the payment terms
        assert "on the terms of the Payment Terms section" in text and "payment terms of that section" not in text
        # admission is a Major Decision everywhere it is mentioned (no Required Approval, no unanimity)
        assert "approved by Supermajority Approval as a Major Decision" in text
        assert "Required Approval of the Members other than the transferor" not in text
        assert "The admission of a new Member, any amendment" not in text
        # borrowing: one rule, the Major Decision above $10,000.00
        assert "(d) borrow money in excess of $10,000.00 in any single transaction" in text
        assert "without Required Approval, borrow money" not in text and "(d) incur indebtedness" not in text
        assert "(d) its withdrawal, whether or not permitted under the No Voluntary Withdrawal section" in text
        if ctx["member_managed"]:
            assert "a Member or any of its Affiliates" in text and "of their Affiliates" not in text
        elif len(ctx["managers"]) == 1:
            # a sole Manager has no "other Managers" to disclose a conflict to
            assert "other Managers" not in text
            assert "to the Members and, unless that person is the Manager, to the Manager, before" in text
        else:
            assert "disclose the material facts of that interest to the other Managers and the Members" in text
    if state["community_property"] and ctx["has_individual_members"]:
        assert "SPOUSAL CONSENT" in text and "community property state" in text
        if ctx["single_member"]:
            assert "each married Member" not in text and "Each undersigned spouse of a Member" not in text
            if not ctx["spousal_consents"]:
                assert f"Spouse of {ctx['members'][0]['name']}" in text and "Spouse of Member: ___" not in text
    else:
        assert "SPOUSAL CONSENT" not in text


def _signature_lines(text: str, name: str) -> str:
    """The rendered lines following the signer's name on the signature page."""
    idx = text.index(name)
    return text[idx : idx + 220]


@pytest.mark.parametrize("sample", VARIANTS)
def test_signature_blocks_fit_the_signer(sample: str) -> None:
    ctx = fs.sample(sample)
    text = rendered("operating-agreement", sample).flat
    sig_page = text[text.index("IN WITNESS WHEREOF") :]
    sig_page = re.split(r"SPOUSAL CONSENT|SCHEDULE A", sig_page)[0]
    for m in ctx["members"]:
        s = m["signer"]
        block = _signature_lines(sig_page, s["name"])
        if s["is_entity"]:
            assert re.search(
                r"By: _{10,} Name: " + re.escape(s["by_name"]) + r" Title: " + re.escape(s["by_title"]), block
            ), block
        else:
            assert not block.split("Date:")[0].count("By:"), block
    persons = [m for m in ctx["members"] if not m["signer"]["is_entity"]]
    entities = [m for m in ctx["members"] if m["signer"]["is_entity"]]
    assert sig_page.count("By: ___") >= len(entities)
    if not entities:
        assert "By: ___" not in sig_page
    assert len(persons) + len(entities) == len(ctx["members"])


def test_texas_prints_full_state_name() -> None:
    text = rendered("operating-agreement", "single-member-tx").flat
    assert "the State of Texas" in text and "a Texas limited liability company" in text
    assert "Texas Business Organizations Code" in text and " TX " not in text
    assert "Morgan Whitfield" in text  # designated successor of the sole member
    assert "disregarded as an entity separate from the Member" in text


def test_single_member_s_election_is_not_called_disregarded() -> None:
    ctx = fs.sample("single-member-tx")
    ctx["s_corp_election"] = True
    text = clause_check.render_check(compiled("operating-agreement"), ctx).flat
    assert "treated as an S corporation" in text
    assert "disregarded for federal income tax purposes" not in text
    assert "The Capital Account is kept for the Company\u2019s books" in text


@pytest.mark.parametrize("sample", VARIANTS)
def test_articles_of_organization_are_named_per_state(sample: str) -> None:
    ctx = fs.sample(sample)
    r = rendered("articles-of-organization", sample)
    text = r.flat
    title = ctx["state"]["formation_document"]
    assert text.count(title) >= 3  # title, header and body
    assert ctx["entity_name"] in text and ctx["registered_agent"]["address"] in text
    assert ctx["state"]["filing_office"] in text and ctx["state"]["signer_title"] in text
    assert ctx["organizer"]["name"] in text
    # "This Articles of Organization becomes ...": the sentence names the document, whatever its title's number
    assert "This document becomes effective when filed by the" in text and "signs this document and affirms" in text
    assert f"This {title} becomes" not in text and f"signs this {title}" not in text
    if ctx["manager_managed"]:
        assert "managed by one or more managers" in text
    else:
        assert "Manager" not in text and "manager" not in text.replace("will not have managers", "")
    assert "{{" not in text and r.pages <= 3


def test_articles_titles_differ_by_state() -> None:
    assert "Certificate of Formation" in rendered("articles-of-organization", "single-member-tx").flat
    assert "Articles of Organization" in rendered("articles-of-organization", "multi-member-co").flat
    assert "Articles of Organization" in rendered("articles-of-organization", "manager-managed-ca").flat
    assert "Certificate of Formation" in rendered("articles-of-organization", "single-member-manager-de").flat


@pytest.mark.parametrize("sample", VARIANTS)
def test_organizer_statement(sample: str) -> None:
    ctx = fs.sample(sample)
    text = rendered("organizer-statement", sample).flat
    signer_title = ctx["state"]["signer_title"]
    assert (f"STATEMENT OF {signer_title.upper()}" in text) == ctx["organizer_statement"]
    assert "RESOLVED" in text and ctx["state"]["formation_document"] in text
    assert "as registered agent, with the registered office at" in text and "with its registered office" not in text
    assert "Company\u2019s operating agreement permit," in text and "dated " + ctx["effective_date"] in text
    assert "shall apply to the Internal Revenue Service for an employer identification number" in text
    if ctx["member_managed"]:
        assert "Manager" not in text and "manager" not in text
    if ctx["single_member"]:
        assert "other members" not in text.lower()
    # one governing person takes further actions alone; the consent defines no "Code", and names the
    # organizational-expense section of the company's tax classification (§ 709 is a partnership's)
    one = ctx["managers"][1:] == [] if ctx["manager_managed"] else ctx["single_member"]
    if ctx["organizer_statement"]:
        assert ("taken by the person named above" in text) == one
        assert ("taken by the persons named above" in text) == (not one)
    assert "Code Sections" not in text and "of the Internal Revenue Code of 1986, as amended, to the extent" in text
    if ctx["s_corp_election"]:
        assert "\u00a7\u00a7 195 and 248 of the Internal Revenue Code" in text and "709" not in text
    elif ctx["single_member"]:
        assert "under \u00a7 195 of the Internal Revenue Code" in text and "709" not in text
    else:
        assert "\u00a7\u00a7 195 and 709 of the Internal Revenue Code" in text
    # the interests issued are the operating agreement's: its Schedule A columns, and no units it never defines
    assert not re.search(r"\bunits?\b", text, re.I)
    consent = _table(rendered("organizer-statement", sample).docx, "Member", "Capital Contribution")
    schedule = _table(rendered("operating-agreement", sample).docx, "Member", "Capital Contribution")
    assert consent[0] == (schedule[0][0], *schedule[0][2:])  # Schedule A also has the Address column
    assert consent[1:] == [(m["name"], m["capital"], m["ownership_pct"]) for m in ctx["members"]] + [
        ("Total", ctx["total_capital"], ctx["total_ownership_pct"])
    ]


def _table(docx: bytes, *header: str) -> list[tuple[str, ...]]:
    """The rows of the first table whose header row contains `header`, each cell's text collapsed."""
    for table in Document(io.BytesIO(docx)).tables:
        rows = [tuple(" ".join(c.text.split()) for c in row.cells) for row in table.rows]
        if rows and all(h in rows[0] for h in header):
            return rows
    raise AssertionError(f"no table headed {header}")


def test_consent_without_an_operating_agreement_adopts_none() -> None:
    """A filing-only order has no operating agreement: the consent neither adopts one nor relies on one."""
    ctx = fs.sample("multi-member-ny")
    ctx["addons"]["operating_agreement"] = False
    text = clause_check.render_check(compiled("organizer-statement"), ctx).flat
    assert "operating agreement of the Company dated" not in text and "operating agreement permit" not in text
    assert "as the New York Limited Liability Company Law permits, and adopt" in text
    assert "the members shall adopt a written operating agreement of the Company, and that until it is adopted" in text


def test_consent_ratifies_a_recorded_ein() -> None:
    ctx = fs.sample("multi-member-co")
    ctx["ein"], ctx["ein_assigned_date"] = "92-1234567", "December 1, 2026"
    text = clause_check.render_check(compiled("organizer-statement"), ctx).flat
    assert "which the Internal Revenue Service assigned on December 1, 2026, is ratified and approved" in text
    assert "shall apply to the Internal Revenue Service" not in text and "92-1234567" not in text


def test_unknown_signatory_is_a_blank_to_fill_in() -> None:
    """Performance West's signatory is not known when the documents are drafted: a Name line, not a role."""
    ctx = fs.sample("single-member-tx")
    ctx["organizer"]["by_name"] = ""
    for doc in ("articles-of-organization", "organizer-statement"):
        text = clause_check.render_check(compiled(doc), ctx).flat
        assert re.search(r"By: _{10,} Name: _{10,} Title: Authorized Signatory", text), doc


def test_organizer_statement_left_out_when_the_organizer_is_a_member() -> None:
    ctx = fs.sample("multi-member-co")
    ctx["organizer"] = dict(ctx["members"][0]["signer"], address=ctx["members"][0]["address"])
    ctx["organizer_statement"] = False
    text = clause_check.render_check(compiled("organizer-statement"), ctx).flat
    assert "STATEMENT OF ORGANIZER" not in text
    assert text.startswith("Harbor Lane Ventures LLC Initial Written Consent of the Members")


_REF = re.compile(r"\b(?:the|under|in) ((?:[A-Z][\w'-]*,? (?:and |of |on |or |to )?)*[A-Z][\w'-]*) (article|section)\b")


@pytest.mark.parametrize("doc", ["operating-agreement", "articles-of-organization", "organizer-statement"])
def test_cross_references_name_existing_headings(doc: str) -> None:
    """'as provided in the Transfers and Admission of Members article' must name a real heading."""
    spec = clauses.load_document(LIBRARY / doc)
    articles, sections = set(), set()
    texts: list[tuple[str, str]] = []
    for cf in spec.files:
        for block in cf.blocks:
            if isinstance(block, clauses.Article):
                articles.add(block.text)
            elif isinstance(block, clauses.Section):
                sections.add(block.heading.rstrip("."))
                texts.append((str(block.where), block.text))
            elif isinstance(block, clauses.Para | clauses.Item):
                texts.append((str(block.where), block.text))
    plain = re.compile(r"\{%.*?%\}")
    found = 0
    for where, text in texts:
        for m in _REF.finditer(plain.sub(" ", text)):
            name, kind = m.group(1), m.group(2)
            if name in ("Act", "Code") or name.startswith(("Code ", "Treasury")):
                continue
            found += 1
            pool = articles if kind == "article" else sections
            assert name in pool, f"{where}: the {name} {kind} does not exist"
    if doc == "operating-agreement":
        assert found >= 10


@pytest.mark.parametrize("doc", ["operating-agreement", "articles-of-organization", "organizer-statement"])
def test_every_variable_is_in_the_vocabulary(doc: str) -> None:
    from pwcore.documents.render import declared_fields

    vocabulary = (LIBRARY / "VOCABULARY.md").read_text(encoding="utf-8")
    documented = {m.split(".")[0] for m in re.findall(r"`([a-z_][a-z0-9_.]*)`", vocabulary)}
    used = declared_fields(compiled(doc))
    assert used, doc
    assert used <= documented, f"not in VOCABULARY.md: {sorted(used - documented)}"
    # and the sample contexts provide every one of them (StrictUndefined would fail the render otherwise)
    # optional values (documented as "optional", or multi-member only) may be absent from a context
    optional = set(re.findall(r"^\| `([a-z_]+)` \| [^|]*optional", vocabulary, flags=re.M))
    optional |= {"partnership_representative", "ein", "ein_assigned_date"}  # the EIN only once recorded
    assert {"formation_date", "successor", "principal_office_county"} <= optional
    for name in fs.SAMPLES:
        missing = {u for u in used if u not in fs.sample(name)} - optional
        assert not missing, (name, missing)


def test_new_york_articles_designate_the_secretary_of_state_and_publication() -> None:
    articles = rendered("articles-of-organization", "multi-member-ny").flat
    assert "The Secretary of State is designated as the agent of the Company" in articles
    assert "New York County" in articles and "the State of New York" in articles
    consent = rendered("organizer-statement", "multi-member-ny").flat
    assert "Publication. RESOLVED" in consent
    colorado = rendered("articles-of-organization", "multi-member-co").flat
    assert "Secretary of State is designated" not in colorado
    assert "Publication" not in rendered("organizer-statement", "multi-member-co").flat


def test_new_york_llc_without_a_registered_agent() -> None:
    """N.Y. LLC Law § 203(e)(5): a New York LLC need not designate a registered agent (the Secretary of State is
    always its agent for service), so an order without one prints no agent anywhere; every other state needs one,
    and a context without it fails the render naming the field."""
    ctx = fs.sample("multi-member-ny")
    del ctx["registered_agent"]
    ctx["addons"]["registered_agent"] = False
    articles = clause_check.render_check(compiled("articles-of-organization"), ctx).flat
    assert "Office and Agent for Service of Process" in articles
    assert "The Secretary of State is designated as the agent of the Company upon whom process" in articles
    assert "New York County" in articles and "40 Wall Street, New York, New York 10005" in articles
    assert not re.search(r"registered agent", articles, re.I), re.findall(r"[^.]*registered agent[^.]*", articles, re.I)
    agreement = clause_check.render_check(compiled("operating-agreement"), ctx).flat
    assert "Agent for Service of Process. The Company has no registered agent. Under its Articles of Organization, " \
        "the Secretary of State is designated as the agent of the Company" in agreement
    assert "Registered Agent and Office" not in agreement
    assert not re.search(r"registered (agent|office) (of|information)", agreement, re.I)
    assert "shall keep the address to which the Secretary of State mails process against the Company current" \
        in agreement
    consent = clause_check.render_check(compiled("organizer-statement"), ctx).flat
    assert "as registered agent" not in consent and "Registered Agent." not in consent
    with_agent = rendered("articles-of-organization", "multi-member-ny").flat
    assert "The name of the Company\u2019s registered agent is Performance West Registered Agents LLC" in with_agent
    colorado = fs.sample("multi-member-co")
    del colorado["registered_agent"]
    for doc in ("articles-of-organization", "operating-agreement", "organizer-statement"):
        with pytest.raises(TemplateFieldMissing) as err:
            render_docx(compiled(doc), colorado)
        assert err.value.field == "registered_agent", doc


@pytest.mark.parametrize(("state", "required"), [("FL", True), ("OH", True), ("MA", True), ("CO", False)])
def test_agent_acceptance_follows_the_state(state: str, required: bool) -> None:
    from pwcore.facts.states import facts_for

    ctx = fs.sample("multi-member-co")  # registered agent is the commercial service
    ctx["state"] = facts_for(state, "llc").context()
    text = clause_check.render_check(compiled("articles-of-organization"), ctx).flat
    assert ("ACCEPTANCE OF APPOINTMENT BY REGISTERED AGENT" in text) == required
    assert ctx["state"]["formation_document"] in text and ctx["state"]["the_state"] in text


@pytest.mark.parametrize(
    "text",
    [
        "Section 4958 of the Internal Revenue Code applies.",
        "Code Section 704(b) governs.",
        "It is exempt under Section 501(c)(3).",
        "Article 9 of the Uniform Commercial Code applies.",
        "Treasury Regulations Sections 1.704-1(b)(2)(ii)(d) and 1.704-2 apply.",
        "Schedule A lists the Members.",
    ],
)
def test_statute_citations_are_not_cross_references(text: str) -> None:
    assert clauses.parse_text(text + "\n", "x.md").blocks


@pytest.mark.parametrize(
    "text",
    ["as stated in Section 3.2.", "see section 4 below.", "Article IV governs.", "per Article 5 of this Agreement."],
)
def test_numbered_cross_references_are_refused(text: str) -> None:
    with pytest.raises(clauses.ClauseSyntaxError, match="numbered cross-reference"):
        clauses.parse_text(text + "\n", "x.md")


def test_values_are_escaped_not_parsed() -> None:
    """Autoescape keeps '&' and '<' well-formed, and a value holding '{{ }}' is printed, never evaluated."""
    ctx = fs.sample("multi-member-co")
    ctx["entity_name"] = "Smith & Jones <Holdings> LLC"
    ctx["purpose"] = "To sell {{ seven }} kinds of coffee."
    text = clause_check.render_check(compiled("articles-of-organization"), ctx).flat
    assert "Smith & Jones <Holdings> LLC" in text
    assert "To sell {{ seven }} kinds of coffee." in text


def test_designator_with_a_period_is_printed_once() -> None:
    """'Acme Ventures, L.L.C.' never gets a second period from a sentence that ends with the name."""
    ctx = fs.sample("multi-member-co")
    ctx["entity_name"] = "Acme Ventures, L.L.C."
    ctx["members"][1]["name"] = ctx["members"][1]["signer"]["name"] = "Summit Peak Holdings, Inc."
    for doc in ("operating-agreement", "articles-of-organization", "organizer-statement"):
        text = clause_check.render_check(compiled(doc), ctx).flat
        assert "Acme Ventures, L.L.C." in text, doc
        assert "L.L.C.." not in text and "Inc.." not in text, doc


def test_articles_name_members_only_where_the_state_requires_it() -> None:
    """Texas' certificate names the governing persons; elsewhere member names stay off the public record."""
    texas = rendered("articles-of-organization", "single-member-tx").flat
    assert "Dana Whitfield" in texas and "88 Live Oak Lane" in texas
    colorado = rendered("articles-of-organization", "multi-member-co").flat
    assert "Avery Chen" not in colorado and "Summit Peak Holdings" not in colorado
    assert "managed by its members; it will not have managers." in colorado
    california = rendered("articles-of-organization", "manager-managed-ca").flat
    assert "Taylor Brooks" not in california and "managed by one or more managers." in california
    ctx = fs.sample("manager-managed-ca")
    from pwcore.facts.states import facts_for

    ctx["state"] = facts_for("MA", "llc").context()
    massachusetts = clause_check.render_check(compiled("articles-of-organization"), ctx).flat
    assert "Certificate of Organization" in massachusetts and "Taylor Brooks" in massachusetts
    assert "Riley Santos" not in massachusetts
    ctx["state"] = facts_for("AZ", "llc").context()
    arizona = clause_check.render_check(compiled("articles-of-organization"), ctx).flat
    assert "Taylor Brooks" in arizona and "Riley Santos" in arizona and "Blue Fern Capital LLC" in arizona
    assert "ACCEPTANCE OF APPOINTMENT BY REGISTERED AGENT" in arizona


def test_lettered_list_continues_across_a_table() -> None:
    text = rendered("organizer-statement", "multi-member-co").flat
    assert "(b) Initial Governing Persons." in text and "(c) End of Role." in text
    sole_manager = rendered("organizer-statement", "single-member-manager-de").flat
    assert "being the sole manager of Brightwater Holdings LLC (the “Company”), acts by written consent" in sole_manager
    assert "permit, and adopts the following resolutions" in sole_manager
    assert "each manager" not in sole_manager and "any manager" not in sole_manager


def test_no_spousal_consent_when_every_member_is_an_entity() -> None:
    ctx = fs.sample("manager-managed-ca")
    ctx["members"][0]["signer"] = fs.entity("Santos Family Holdings, Inc.", "Riley Santos", "President")
    ctx["members"][0]["name"] = "Santos Family Holdings, Inc."
    ctx["has_individual_members"] = False
    ctx["spousal_consents"] = []
    text = clause_check.render_check(compiled("operating-agreement"), ctx).flat
    assert ctx["state"]["community_property"] and "SPOUSAL CONSENT" not in text


def test_north_carolina_articles_say_whether_the_organizer_is_a_member() -> None:
    from pwcore.facts.states import facts_for

    ctx = fs.sample("multi-member-co")
    ctx["state"] = facts_for("NC", "llc").context()
    text = clause_check.render_check(compiled("articles-of-organization"), ctx).flat
    assert "The Organizer is not a member of the Company." in text and "the State of North Carolina" in text
    assert "is not a member" not in rendered("articles-of-organization", "multi-member-co").flat
