"""Corporation, nonprofit and EIN clause documents: each compiles, renders with a sample context, converts
to PDF with `soffice --headless --convert-to pdf` and reads right in `pdftotext` output: required headings
and clauses present, forbidden partnership/ownership language absent, page counts, and the taxpayer
identification number only where it belongs."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from docx import Document

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "templates" / "clauses"
BUILDER = ROOT / "tools" / "build_clause_templates.py"

if not BUILDER.exists() or not (ROOT / "shared" / "pwcore" / "documents" / "clauses.py").exists():
    pytest.skip(
        "clause builder (tools/build_clause_templates.py) not merged into this branch yet", allow_module_level=True
    )

from pwcore.documents import clause_check, clauses  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import formation_samples_corp as S  # noqa: E402
from clause_builder import compiled  # noqa: E402

DOCS = (
    "corporate-bylaws",
    "articles-of-incorporation",
    "organizational-consent",
    "share-ledger",
    "nonprofit-bylaws",
    "nonprofit-articles",
    "conflict-of-interest-policy",
    "ss4-worksheet",
    "ein-confirmation",
)
SAMPLES: dict[str, Callable[[], dict[str, Any]]] = {
    "corp_de": lambda: S.corporation("DE"),
    "corp_co_incorporator": lambda: S.corporation("CO", s_corp=False, directors_in_articles=False),
    "corp_tx": lambda: S.corporation("TX", s_corp=False, directors_in_articles=False),
    "corp_co": lambda: S.corporation("CO", s_corp=False),
    "corp_ca": lambda: S.corporation("CA", s_corp=False, directors_in_articles=False),
    "corp_vt": lambda: S.corporation("VT", s_corp=False),
    "corp_ny": lambda: S.corporation("NY", s_corp=False),
    "np_ny": lambda: S.nonprofit("NY"),
    "np_de": lambda: S.nonprofit("DE"),
    "np_de_members": lambda: S.nonprofit("DE", has_members=True),
    "np_co": lambda: S.nonprofit("CO"),
    "np_ca_members": lambda: S.nonprofit("CA", has_members=True),
    "ss4_corp": lambda: S.with_ein(S.corporation("DE"), recorded=False),
    "ss4_np": lambda: S.with_ein(S.nonprofit("CO"), recorded=False),
    "ss4_llc": lambda: S.with_ein(S.llc_for_ein(), recorded=False),
    "ein_np": lambda: S.with_ein(S.nonprofit("CO"), recorded=True),
    "ein_corp_s": lambda: S.with_ein(S.corporation("DE"), recorded=True),
    "ein_corp_c": lambda: S.with_ein(S.corporation("CO", s_corp=False), recorded=True),
    "ein_llc": lambda: S.with_ein(S.llc_for_ein(), recorded=True),
    "ein_llc_s": lambda: dict(S.with_ein(S.llc_for_ein(single_member=True), recorded=True), s_corp_election=True),
}
SSN_SHAPED = re.compile(r"(?<![\d-])\d{3}-\d{2}-\d{4}(?![\d-])")
MASKED_SHAPED = re.compile(r"\*{3}-\*{2}-\d{4}")



@cache
def rendered(doc: str, sample: str) -> clause_check.Rendered:
    return clause_check.render_check(compiled(doc), SAMPLES[sample]())


def reading(r: clause_check.Rendered) -> str:
    """The PDF's text in reading order (pdftotext without -layout keeps each table cell together), with the
    running header and footer of every page removed (so a paragraph broken across pages reads as one) and
    whitespace collapsed."""
    section = Document(io.BytesIO(r.docx)).sections[0]
    head = [s.strip() for p in section.header.paragraphs for s in p.text.split("\t") if s.strip()]
    foot = {s.strip() for p in section.footer.paragraphs for s in p.text.split("\t") if s.strip()}
    raw = subprocess.run(["pdftotext", "-", "-"], input=r.pdf, capture_output=True, check=True).stdout.decode()
    pages = []
    for page in raw.split("\f"):
        body = [line.strip() for line in page.splitlines() if line.strip()]
        for expected in head:
            if body and body[0] == expected:
                body.pop(0)
        while body and (body[-1] in foot or re.fullmatch(r"Page \d+ of \d+", body[-1])):
            body.pop()
        pages.append(" ".join(body))
    text = " ".join(" ".join(pages).split())
    # a value ending in a period ("Inc.") must never be followed by the sentence's own period
    assert not re.search(r"\w\.\.(?!\.)", text), "doubled period after a value"
    return text


def table_rows(r: clause_check.Rendered, first_header: str) -> list[tuple[str, ...]]:
    """Rows (header included) of the rendered DOCX table whose first header cell is `first_header`."""
    for table in Document(io.BytesIO(r.docx)).tables:
        rows = [tuple(" ".join(c.text.split()) for c in row.cells) for row in table.rows]
        if rows and rows[0][0] == first_header:
            return rows
    raise AssertionError(f"no table headed {first_header!r}")


def _dehyphen(s: str) -> str:
    # pdftotext joins a word hyphenated across a line end ("tax-exempt" -> "taxexempt")
    return s.replace("-", "")


def _require(text: str, phrases: list[str]) -> None:
    missing = [p for p in phrases if p not in text and _dehyphen(p) not in _dehyphen(text)]
    assert not missing, f"missing from the rendered PDF text: {missing}"


def _forbid(text: str, patterns: list[str]) -> None:
    found = [(p, m.group(0)) for p in patterns for m in [re.search(p, text, re.IGNORECASE)] if m]
    assert not found, f"forbidden language in the rendered PDF text: {found}"


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.;:])\s+(?=[A-Z(])", text)


def _no_distribution_to_insiders(text: str) -> None:
    """Any sentence that speaks of distributing to members, directors or officers must be a prohibition."""
    for s in _sentences(text.replace("Board of Directors", "Board")):
        if re.search(r"distribut", s, re.I) and re.search(r"\b(members?|directors?|officers?)\b", s, re.I):
            assert re.search(r"\b(no part|none of|not|never|no right)\b", s, re.I), f"distribution to insiders: {s!r}"


CORP_FORBIDDEN = [
    r"\bmembers?\b",
    r"\bmanagers?\b",
    r"member-managed",
    r"\bmembership\b",
    r"capital account",
    r"allocat\w* of (net )?(profits|income|losses)",
    r"\bprofits and losses\b",
    r"\bunits?\b",
]
NONPROFIT_FORBIDDEN = [
    r"ownership",
    r"\bowners?\b",
    r"\bprofits\b",
    r"capital account",
    r"\bshareholders?\b",
    r"\bdividends?\b",
    r"\bstock\b",
    r"distributive share",
    r"member-managed",
    r"\bmanagers?\b",
]
DISSOLUTION = [
    "distributed for one or more exempt purposes within the meaning of section 501(c)(3) of the",
    "to the federal government, or to a state or local government, for a public purpose",
]


# --- the library itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", DOCS)
def test_every_clause_file_cites_sources(doc: str) -> None:
    spec = clauses.load_document(LIBRARY / doc)
    uncited = [cf.path.name for cf in spec.files if not cf.sources]
    assert not uncited, f"{doc}: clause files without `sources` in front matter: {uncited}"


def test_vocabulary_covers_every_variable() -> None:
    vocab_main = LIBRARY / "VOCABULARY.md"
    if not vocab_main.exists():
        pytest.skip("VOCABULARY.md not merged yet; only VOCABULARY-corp.md to check against")
    documented = set(
        re.findall(r"`([a-z_][a-z_0-9.]*)`", vocab_main.read_text() + (LIBRARY / "VOCABULARY-corp.md").read_text())
    )
    used: set[str] = set()
    for doc in DOCS:
        for path in (LIBRARY / doc).glob("*.md"):
            body = path.read_text().split("+++", 2)[-1]
            for expr in re.findall(r"\{\{(.*?)\}\}|\{%-?\s*(?:if|elif)\s(.*?)%\}", body):
                code = re.sub(r'"[^"]*"' + r"|'[^']*'", " ", " ".join(expr))  # string literals are not names
                for name in re.findall(r"\b[a-z_][a-z_0-9]*(?:\.[a-z_0-9]+)*", code):
                    if name.split(".")[0] not in {"row", "not", "and", "or", "is", "defined", "upper", "true", "false"}:
                        used.add(name)
    missing = sorted(n for n in used if n not in documented and n.split(".")[0] not in documented)
    assert not missing, f"variables used but not in VOCABULARY.md / VOCABULARY-corp.md: {missing}"


# --- corporate bylaws -------------------------------------------------------------------------------------


def test_corporate_bylaws_delaware() -> None:
    r = rendered("corporate-bylaws", "corp_de")
    text = reading(r)
    _require(
        text,
        [
            "Article 1. Offices",
            "Meetings of Stockholders",
            "Board of Directors",
            "Committees of the Board",
            "Officers",
            "Shares",
            "Indemnification and Advancement of Expenses",
            "Conflict-of-Interest Transactions",
            "Fiscal Year, Dividends and Finance",
            "Books, Records and Inspection",
            "Notices and Electronic Transmission",
            "Emergency Bylaws",
            "Amendments",
            "CERTIFICATE OF ADOPTION BY THE SECRETARY",
            # shareholders' meetings
            "Annual Meeting.",
            "Special Meetings.",
            "Place of Meetings; Remote Communication.",
            "Notice of Meetings.",
            "Record Date for Meetings.",
            "Quorum.",
            "Voting.",
            "Proxies.",
            "Action by Written Consent.",
            "Inspectors of Election.",
            # board
            "Number. The Board of Directors shall consist of three (3) directors.",
            "Qualification.",
            "Resignation.",
            "Removal.",
            "Vacancies.",
            "Regular Meetings.",
            "Notice of Special Meetings.",
            "Waiver of Notice.",
            "Quorum and Voting.",
            "Action Without a Meeting.",
            "Remote Participation.",
            "Compensation.",
            # officers
            "President and Chief Executive Officer.",
            "Secretary.",
            "Treasurer and Chief Financial Officer.",
            "Vice Presidents.",
            "Delegation.",
            # shares
            "Certificated and Uncertificated Shares.",
            "Form and Signatures of Certificates.",
            "Transfers of Shares.",
            "Restrictions on Transfer and Legends.",
            "HAVE NOT BEEN REGISTERED UNDER THE SECURITIES ACT OF 1933",
            "Lost, Stolen or Destroyed Certificates.",
            "Registered Holders.",
            "Fixing Record Dates.",
            # indemnification, cited through state.act
            "to the fullest extent permitted by the Delaware General Corporation Law",
            "Advancement of Expenses.",
            "Insurance.",
            # finance and records
            "Dividends.",
            "Execution of Instruments.",
            "Loans to the Corporation.",
            "Checks, Drafts and Notes.",
            "Inspection by Stockholders.",
            "Notice by Electronic Transmission.",
            "Amendment by the Board of Directors.",
            "Amendment by the Stockholders.",
            "Copperline Analytics, Inc.",
            "Certificate of Incorporation",
            "Marcus Oyelaran",
        ],
    )
    _forbid(text, CORP_FORBIDDEN)
    assert 12 <= r.pages <= 25, f"corporate bylaws are {r.pages} pages"
    _delaware_words(text)
    # 8 Del. C. § 211(d): special meetings are called by the board or the persons the charter or bylaws name;
    # the stockholders have no statutory right to demand one (MBCA § 7.02's ten percent is not Delaware's)
    assert (
        "A special meeting of the stockholders may be called at any time by the Board of Directors, by the Chair "
        "of the Board (if any) or by the President, and by no other person unless the Charter so provides. The "
        "stockholders have no right to call or to demand a special meeting unless the Charter grants it." in text
    )
    assert "ten percent" not in text and "written demands" not in text
    assert "entitled to notice of a meeting of stockholders, to vote or to take any other action" in text
    # no MBCA-only rules: no financial statements to holders (MBCA § 16.20), no eleven-month proxy (§ 7.22)
    assert "statement of changes in" not in text and "equity" not in text
    assert "eleven months" not in text and "valid for the period the Act provides" in text
    # the DGCL states no standard of conduct (MBCA §§ 8.30, 8.42); Delaware duties are fiduciary (case law)
    assert "standards of conduct described in the Act" not in text
    assert "compliance by a director with the director\u2019s fiduciary duties to the Corporation" in text
    assert "same fiduciary duties of care and loyalty that its directors owe" in text
    vermont = reading(rendered("corporate-bylaws", "corp_vt"))
    assert "standards of conduct described in the Act" in vermont and "fiduciary duties of care" not in vermont
    # the DGCL lists no records for the principal office (MBCA § 16.01(e)); Delaware's report is the franchise tax one
    assert "make available there, the following records: the Charter" in text
    assert "the records the Act requires, which include" not in text and "for the period the Act specifies" not in text
    assert "annual franchise tax report filed with the Delaware Secretary of State" in text
    assert "the records the Act requires, which include" in vermont and "franchise tax report" not in vermont
    # 8 Del. C. § 232(a): mailed notice is given when deposited, not five days later (MBCA § 1.41(e))
    assert "(3) when it is deposited in the United States mail, postage prepaid, directed to the recipient" in text
    assert "five days after it is deposited" not in text and "five days after it is deposited" in vermont


def test_corporate_bylaws_conflicts_follow_the_state_statute() -> None:
    """Delaware's bylaws frame interested transactions as 8 Del. C. § 144 does (a majority of the disinterested
    directors, even if less than a quorum); other states keep the Model Act's qualified directors and shares."""
    delaware = reading(rendered("corporate-bylaws", "corp_de"))
    _require(delaware, [
        "as 8 Del. C. § 144 provides",
        "by the affirmative votes of a majority of the disinterested directors, even though the disinterested "
        "directors are less than a quorum",
        "specifically approved in good faith by vote of those stockholders",
        "is fair as to the Corporation as of the time it is authorized",
        "Common or interested directors may be counted in determining the presence of a quorum",
    ])
    assert not re.search(r"\bqualified (directors?|shares)", delaware)  # ("disqualified director" is Delaware's)
    assert delaware.count("Quorum and Counting.") == 1  # one article, the Delaware one
    vermont = reading(rendered("corporate-bylaws", "corp_vt"))
    _require(vermont, ["majority (but not fewer than two) of the qualified directors", "qualified shares"])
    assert "Del. C." not in vermont and "disinterested directors are less than a quorum" not in vermont


def test_corporate_bylaws_indemnification_follows_the_state_statute() -> None:
    """Delaware's bylaws indemnify as 8 Del. C. § 145 does (third-party and derivative standards, the Court of
    Chancery, success on the merits or otherwise, disinterested directors / counsel / stockholders, an undertaking
    only); other states keep the Model Act's article (a good-faith affirmation, wholly successful, Liability)."""
    delaware = reading(rendered("corporate-bylaws", "corp_de"))
    _require(delaware, [
        "Indemnification and Advancement of Expenses",
        "as 8 Del. C. § 145 provides",
        "reasonably believed to be in or not opposed to the best interests of the Corporation and, with respect "
        "to any criminal action or proceeding, had no reasonable cause to believe the Indemnitee\u2019s conduct was "
        "unlawful",
        "adjudged to be liable to the Corporation unless and only to the extent that the Court of Chancery",
        "Indemnification When Successful. To the extent that a present or former director or officer",
        "successful on the merits or otherwise",
        "by a majority vote of the directors who are not parties to the Proceeding, even though less than a quorum",
        "by independent legal counsel in a written opinion",
        "by the stockholders.",
        "upon receipt by the Corporation of an undertaking by or on behalf of the Indemnitee to repay",
        "are mandatory, as 8 Del. C. § 145(f) permits the Bylaws to provide",
        "whether or not the Corporation would have the power to indemnify the person against that liability "
        "under 8 Del. C. § 145",
    ])
    _delaware_words(delaware)
    assert delaware.count("Nature of Rights; Non-Exclusivity.") == 1  # one article, the Delaware one
    assert "written affirmation" not in delaware and "wholly successful" not in delaware
    assert "reported to the stockholders" not in delaware  # an MBCA report, not Delaware's
    vermont = reading(rendered("corporate-bylaws", "corp_vt"))
    _require(vermont, [
        "a written affirmation by the Indemnitee of the Indemnitee\u2019s good faith belief",
        "who was wholly successful, on the merits or otherwise",
        "\u201cLiability\u201d means the obligation to pay a judgment",
        "shall be reported to the shareholders where and as the Act requires",
    ])
    assert "Court of Chancery" not in vermont and "§ 145" not in vermont
    assert "Indemnification When Successful" not in vermont



def test_corporate_bylaws_limit_dividends_as_the_state_statute_does() -> None:
    """Delaware pays dividends out of surplus or net profits (8 Del. C. § 170(a)); the Model Act states use its
    solvency and balance-sheet tests. Each state's bylaws state only their own test."""
    delaware = reading(rendered("corporate-bylaws", "corp_de"))
    _require(delaware, [
        "only out of the Corporation\u2019s surplus, as defined in and computed in accordance with the Act",
        "out of its net profits for the fiscal year in which the dividend is declared and/or the preceding fiscal year",
        "having a preference upon the distribution of assets, until that deficiency is repaired",
        "A director who willfully or negligently approves an unlawful dividend may be liable",
    ])
    assert "pay its debts as they become due" not in delaware
    vermont = reading(rendered("corporate-bylaws", "corp_vt"))
    _require(vermont, ["would not be able to pay its debts as they become due in the usual course of business"])
    assert "surplus" not in vermont and "net profits" not in vermont


def test_new_york_certificates_designate_the_secretary_of_state() -> None:
    """A New York certificate of incorporation (business or not-for-profit) states the county of the office and
    designates the Secretary of State as agent for service with a mailing address (BCL §§ 304(b), 402(a)(3), (7);
    N-PCL § 402(a)(3), (7)); the business one states the purpose with the agency-consent proviso, the nonprofit
    one that it is a § 102(a)(5) corporation and charitable. Other states keep the registered office wording."""
    designation = ("The Secretary of State is designated as the agent of the Corporation upon whom process against "
                   "it may be served, and the post office address to which the Secretary of State shall mail a copy "
                   "of any process against the Corporation served upon the Secretary of State is")
    business = reading(rendered("articles-of-incorporation", "corp_ny"))
    _require(business, [
        "Office and Agents for Service of Process",
        "The county within the State of New York in which the office of the Corporation is to be located is",
        designation,
        "The name of the Corporation\u2019s registered agent is",
        "provided that the Corporation is not formed to engage in any act or activity requiring the consent or "
        "approval of any state official",
    ])
    assert "initial registered office" not in business
    nonprofit = reading(rendered("nonprofit-articles", "np_ny"))
    _require(nonprofit, [
        designation,
        "The Corporation is a corporation as defined in subparagraph (5) of paragraph (a) of section 102 of the "
        "Not-for-Profit Corporation Law. It is a charitable corporation under section 201 of that law.",
    ])
    vermont = reading(rendered("articles-of-incorporation", "corp_vt"))
    assert "Secretary of State is designated" not in vermont and "initial registered office" in vermont


def test_new_york_corporation_may_name_no_registered_agent() -> None:
    """A New York corporation needs no registered agent (BCL § 402(a)(8), N-PCL § 402(a)(8)): without one its
    certificate, bylaws and organizational consent print none and still designate the Secretary of State; its bylaws
    never promise a registered office New York does not have."""
    def without_agent(sample: str) -> dict[str, Any]:
        ctx = SAMPLES[sample]()
        del ctx["registered_agent"]
        return ctx

    for doc, sample in (("articles-of-incorporation", "corp_ny"), ("corporate-bylaws", "corp_ny"),
                        ("organizational-consent", "corp_ny"), ("nonprofit-articles", "np_ny"),
                        ("nonprofit-bylaws", "np_ny")):
        ctx = without_agent(sample)
        text = reading(clause_check.render_check(compiled(doc), ctx))
        # (the consent may still authorize registered agents in other states, for qualifying to do business there)
        assert "Registered Agents" not in text and not re.search(r"registered office", text, re.I), doc
        assert not re.search(r"(the Corporation\u2019s|its|initial) registered agent", text, re.I), doc
        if doc != "organizational-consent":
            assert "Secretary of State" in text, doc
    bylaws = reading(rendered("corporate-bylaws", "corp_ny"))
    assert "The Corporation has also designated" in bylaws and "continuously maintain" not in bylaws

def _delaware_words(text: str) -> None:
    """Delaware's General Corporation Law speaks of stockholders, never shareholders."""
    assert not re.search(r"shareholder", text, re.I), re.findall(r"[^.]*shareholder[^.]*", text, re.I)[:3]
    assert re.search(r"\bstockholders?\b", text, re.I)


def test_corporate_bylaws_special_meetings_follow_the_state() -> None:
    """A state whose act gives holders ten percent (Vermont, MBCA § 7.02) prints it; a state not listed in
    states_corp.toml (Colorado) defers to its Act; both say shareholders."""
    vermont = reading(rendered("corporate-bylaws", "corp_vt"))
    assert (
        "Unless the Charter provides otherwise, the Secretary shall also call a special meeting when the holders "
        "of at least ten percent of all the votes entitled to be cast on any issue proposed to be considered at "
        "the meeting sign, date and deliver to the Secretary one or more written demands" in vermont
    )
    colorado = reading(rendered("corporate-bylaws", "corp_co_incorporator"))
    assert (
        "Where the Act gives shareholders the right to demand a special meeting, the Secretary shall also call "
        "one when the holders of the percentage of the votes the Act requires" in colorado
    )
    for text in (vermont, colorado):
        _require(text, ["Meetings of Shareholders", "Inspection by Shareholders.", "to demand a special meeting"])
        assert "stockholder" not in text.casefold() and "have no right to call" not in text


def test_corporate_bylaws_without_emergency_article_number_without_gap() -> None:
    """Colorado is not listed as authorizing emergency bylaws in states_corp.toml: the article is left out and
    the next article takes its number; the incorporator variant shows in the certificate."""
    r = rendered("corporate-bylaws", "corp_co_incorporator")
    text = reading(r)
    assert "Emergency Bylaws" not in text
    _require(
        text,
        [
            "Article 12. General Provisions",
            "Article 13. Amendments",
            "Colorado Business Corporation Act",
            "adopted by the Incorporator",
            "or elected by the Incorporator",
        ],
    )
    _forbid(text, CORP_FORBIDDEN)
    assert 12 <= r.pages <= 25


# --- articles of incorporation ---------------------------------------------------------------------------


def test_articles_of_incorporation_titled_per_state_with_directors() -> None:
    text = reading(rendered("articles-of-incorporation", "corp_de"))
    assert text.startswith("Certificate of Incorporation of Copperline Analytics, Inc. The undersigned, acting as")
    _require(
        text,
        [
            "The name of the corporation is Copperline Analytics, Inc.",
            "Performance West Registered Agents Inc.",
            "1209 Orange Street, Wilmington, Delaware 19801",
            "to engage in any lawful act or activity",
            "The Corporation intends initially to develop and license data analytics software.",
            "20,000,000 shares of a single class designated Common Stock, with a par value of $0.0001 per share",
            "No Preemptive Rights.",
            "Incorporator and Initial Directors",
            "Dana Whitfield, 48 Larkspur Lane, Denver, Colorado 80205",
            "Avery Lindqvist",
            "Marcus Oyelaran",
            "Priya Natarajan",
            "The number of directors constituting the initial Board of Directors is three (3).",
            "12 Alder Court, Boulder, Colorado 80302",
            "Limitation of Liability.",
            # 8 Del. C. § 102(b)(7): directors and (since 2022) officers, with the statute's exceptions
            "Limitation of Director and Officer Liability and Indemnification",
            "no director or officer of the Corporation shall be personally liable to the Corporation or its "
            "stockholders for monetary damages for breach of fiduciary duty as a director or officer",
            "as 8 Del. C. § 102(b)(7) requires",
            "a director under 8 Del. C. § 174",
            "an officer in any action by or in the right of the Corporation",
            "Indemnification.",
            "to the fullest extent permitted by the Act",
            "effective upon filing",
            "Delaware Secretary of State",
            # 8 Del. C. § 109(a): the board may amend the bylaws only if the certificate confers the power
            "Power to Adopt, Amend and Repeal Bylaws. The Board of Directors is expressly authorized to adopt, "
            "amend and repeal the Bylaws of the Corporation.",
        ],
    )
    _forbid(text, CORP_FORBIDDEN)
    _delaware_words(text)
    # 8 Del. C. § 102(a)(2): the registered office's county; the order's address does not name it, so a blank
    assert "is 1209 Orange Street, Wilmington, Delaware 19801 (County: ________)." in text


def test_articles_of_incorporation_county_from_the_address_or_none_where_not_required() -> None:
    ctx = S.corporation("DE")
    ctx["registered_agent"] |= {"address": "1209 Orange Street, Wilmington, New Castle County, Delaware 19801",
                                "county": "New Castle County"}
    text = reading(clause_check.render_check(compiled("articles-of-incorporation"), ctx))
    assert "is 1209 Orange Street, Wilmington, New Castle County, Delaware 19801." in text and "County: _" not in text
    colorado = reading(rendered("articles-of-incorporation", "corp_co"))
    assert "County:" not in colorado and "Power to Adopt, Amend and Repeal Bylaws." in colorado


def test_articles_of_incorporation_incorporator_elects_board() -> None:
    text = reading(rendered("articles-of-incorporation", "corp_co_incorporator"))
    _require(
        text, ["Articles of Incorporation", "who shall be elected by the Incorporator after this document is filed"]
    )
    assert "Priya Natarajan" not in text  # directors are not listed when the articles do not name them
    _forbid(text, CORP_FORBIDDEN)
    # a Model Act state exculpates directors as its Act permits; Delaware's § 102(b)(7) officers are not here
    _require(text, ["a director of the Corporation shall not be liable to the Corporation or its shareholders for "
                    "money damages"])
    assert "Del. C." not in text and "director or officer of the Corporation shall be personally liable" not in text


def test_articles_of_incorporation_california_purpose_statement() -> None:
    """California's articles carry the statement of Cal. Corp. Code § 202(b)(1)(i) and no other purpose."""
    text = reading(rendered("articles-of-incorporation", "corp_ca"))
    _require(
        text,
        [
            "Articles of Incorporation",
            "Purpose. The purpose of the Corporation is to engage in any lawful act or activity for which a "
            "corporation may be organized under the General Corporation Law of California other than the banking "
            "business, the trust company business or the practice of a profession permitted to be incorporated by "
            "the California Corporations Code.",
            "shall consist of three (3) directors, who shall be elected by the Incorporator",
        ],
    )
    assert "intends initially" not in text and "corporations may be organized under the Act" not in text
    colorado = reading(rendered("articles-of-incorporation", "corp_co"))
    assert "General Corporation Law of California" not in colorado and "intends initially" in colorado


def test_articles_of_incorporation_texas_wording() -> None:
    """Texas files a Certificate of Formation signed by an Organizer and must name the initial directors
    (Tex. Bus. Orgs. Code § 3.007(a)(3)) even when the order did not ask for it."""
    text = reading(rendered("articles-of-incorporation", "corp_tx"))
    _require(
        text,
        [
            "Certificate of Formation",
            "Type of Entity. The Corporation is a for-profit corporation formed under the Act.",
            "adopts the following provisions as the Certificate of Formation of the corporation",
            "Organizer and Initial Directors",
            "The name and address of the Organizer are Dana Whitfield",
            "Performance West Registered Agents Inc., and the street address",
            "Priya Natarajan",
            "This document is effective upon filing.",
            "the undersigned Organizer has signed this document on November 25, 2026",
        ],
    )
    assert "Certificate of Formation are" not in text and "these Certificate" not in text
    _forbid(text, CORP_FORBIDDEN)


# --- organizational consent ------------------------------------------------------------------------------


def test_organizational_consent_board_variant() -> None:
    ctx = SAMPLES["corp_de"]()
    r = rendered("organizational-consent", "corp_de")
    text = reading(r)
    _require(
        text,
        [
            "Organizational Consent",
            "Action of the Board of Directors by Unanimous Written Consent",
            "being all the directors named in the Certificate of Incorporation",
            "Adoption of Bylaws.",
            "Election of Officers.",
            "President and Chief Executive Officer",
            "Form of Share Certificate.",
            "Issuance of Shares.",
            "Adequacy of Consideration.",
            "Fiscal Year.",
            "ends on December 31",
            "Bank Accounts.",
            "Application for an Employer Identification Number.",
            "Performance West is authorized to act as the Corporation\u2019s third party designee",
            "S Corporation Election",
            "Form 2553",
            "Organizational Expenses.",
            "Qualification in Other States.",
            "Registered Agent and Registered Office.",
        ],
    )
    assert "Action of the Incorporator" not in text
    assert "Article 2. Bylaws and Offices" in text  # it holds the registered and principal offices too
    _delaware_words(text)
    assert "the following persons (the \u201cInitial Stockholders\u201d)" in text
    assert "obtain the consent of each stockholder required to consent to the election on Form 2553" in text
    assert table_rows(r, "Stockholder") == [
        ("Stockholder", "Shares", "Consideration", "Certificate No."),
        ("Avery Lindqvist", "6,000,000", "$600.00", "CS-1"),
        ("Marcus Oyelaran", "4,000,000", "$400.00", "CS-2"),
        ("Total", "10,000,000", "$1,000.00", ""),
    ]
    assert table_rows(r, "Office")[1:] == [(o["title"], o["name"]) for o in ctx["officers"]]
    # one signature block per director, each with its capacity
    for d in ctx["directors"]:
        assert re.search(rf"_{{20,}}\s+{d['name']}\s+Director\s+Date:", text), d["name"]
    assert text.count("Date: ____") == len(ctx["directors"])
    _forbid(text, CORP_FORBIDDEN[1:])  # "members" never; see the dedicated check below
    assert not re.search(r"\bmembers?\b", text, re.I)


def test_organizational_consent_incorporator_variant_without_s_election() -> None:
    ctx = SAMPLES["corp_co_incorporator"]()
    text = reading(rendered("organizational-consent", "corp_co_incorporator"))
    _require(
        text,
        [
            "Action of the Incorporator",
            "Election of Directors.",
            "Adoption of Bylaws by the Incorporator.",
            "Ratification of Bylaws.",
            "The following resolutions are adopted by the Board of Directors.",
            "Dana Whitfield",
        ],
    )
    assert "S Corporation Election" not in text and "Form 2553" not in text
    assert text.count("Date: ____") == len(ctx["directors"]) + 1  # the incorporator signs too
    assert "which consists of three (3) directors" in text


def test_organizational_consent_ratifies_a_recorded_ein() -> None:
    """Once the IRS has assigned the EIN, the consent ratifies the application instead of authorizing one."""
    text = reading(rendered("organizational-consent", "ein_corp_s"))
    assert "RESOLVED, that the application for the Corporation\u2019s employer identification number" in text
    assert "by the Internal Revenue Service on December 1, 2026 are ratified, approved and confirmed" in text
    assert "are authorized to apply to the Internal Revenue Service" not in text and "92-1234567" not in text


# --- share ledger -----------------------------------------------------------------------------------------


def test_share_ledger_totals_match_rows() -> None:
    ctx = SAMPLES["corp_de"]()
    r = rendered("share-ledger", "corp_de")
    text = reading(r)
    _require(
        text,
        [
            "Stock Ledger and Share Issuance Schedule",
            "Common Stock",
            "$0.0001 per share",
            "Authorized by the Certificate of Incorporation",
            "Authorized shares 20,000,000",
            "Issued and outstanding 10,000,000",
            "Authorized but unissued 10,000,000",
            "CS-1",
            "CS-2",
            "6,000,000",
            "4,000,000",
            "$600.00",
            "$400.00",
            "Total issued",
        ],
    )
    assert table_rows(r, "Certificate No.") == [
        ("Certificate No.", "Stockholder", "Class", "Shares", "Consideration", "Date Issued"),
        ("CS-1", "Avery Lindqvist", "Common Stock", "6,000,000", "$600.00", "November 25, 2026"),
        ("CS-2", "Marcus Oyelaran", "Common Stock", "4,000,000", "$400.00", "November 25, 2026"),
        ("Total issued", "", "", "10,000,000", "$1,000.00", ""),
    ]
    _delaware_words(text)
    assert table_rows(r, "Stockholder")[0] == ("Stockholder", "Address")
    assert "Shareholder" in reading(rendered("share-ledger", "corp_co"))  # elsewhere the act's own word
    # the sample's totals are consistent, so a ledger printed from it balances
    issued = sum(int(m["shares"].replace(",", "")) for m in ctx["members"])
    assert issued == int(ctx["total_issued_shares"].replace(",", ""))
    assert int(ctx["authorized_shares"].replace(",", "")) - issued == int(ctx["unissued_shares"].replace(",", ""))


# --- nonprofit bylaws -------------------------------------------------------------------------------------


def test_nonprofit_bylaws_no_members() -> None:
    r = rendered("nonprofit-bylaws", "np_co")
    text = reading(r)
    _require(
        text,
        [
            "Article 1. Name and Offices",
            "Purposes",
            "organized and shall be operated exclusively for charitable",
            "within the meaning of section 501(c)(3) of the Code",
            "No Members.",
            "Board of Directors",
            "Powers.",
            "Number.",
            "Election and Term.",
            "Vacancies.",
            "Removal.",
            "Special Meetings.",
            "Quorum.",
            "Action Without a Meeting.",
            "Officers",
            "Committees",
            "Conflict of Interest",
            "Duty to Disclose.",
            "Determining Whether a Conflict Exists.",
            "Procedures for Addressing the Conflict.",
            "Records of Proceedings.",
            "Annual Statements.",
            "Periodic Reviews.",
            "Compensation",
            "Reasonable Compensation Only.",
            "comparability",
            "No Private Inurement.",
            "No Political Campaign Activity.",
            "Limited Lobbying.",
            "section 501(h)",
            "Dissolution",
            *DISSOLUTION,
            "Indemnification and Insurance",
            "to the fullest extent permitted by the Colorado Revised Nonprofit Corporation Act",
            "Contracts, Checks, Deposits and Gifts",
            "Gifts.",
            "Fiscal Year.",
            "ends on June 30",
            "Amendments",
            "CERTIFICATE OF ADOPTION BY THE SECRETARY",
            "Front Range Literacy Project",
        ],
    )
    assert "Non-Voting Members" not in text
    _forbid(text, NONPROFIT_FORBIDDEN)
    _no_distribution_to_insiders(text)
    assert 12 <= r.pages <= 25, f"nonprofit bylaws are {r.pages} pages"
    # the Code § 4958 family, read as one list (it printed "children and grandchildren, great-grandchildren")
    assert (
        "\u201cFamily Member\u201d means a person\u2019s spouse or domestic partner, ancestors, brothers and "
        "sisters (whether by the whole or half blood) and their spouses, and children, grandchildren and "
        "great-grandchildren and their spouses." in text
    )
    assert "Number. The Board of Directors shall consist of three (3) directors." in text


def test_nonprofit_bylaws_non_voting_members() -> None:
    r = rendered("nonprofit-bylaws", "np_ca_members")
    text = reading(r)
    _require(
        text,
        [
            "Non-Voting Members.",
            "have no right to vote",
            "No Rights in Property.",
            *DISSOLUTION,
            "California Nonprofit Public Benefit Corporation Law",
        ],
    )
    assert "No Members." not in text
    _forbid(text, NONPROFIT_FORBIDDEN)
    _no_distribution_to_insiders(text)
    assert 12 <= r.pages <= 25


# --- nonprofit articles ----------------------------------------------------------------------------------


def test_nonprofit_articles_irs_clauses() -> None:
    text = reading(rendered("nonprofit-articles", "np_co"))
    _require(
        text,
        [
            "Articles of Incorporation",
            "The name of the corporation is Front Range Literacy Project",
            "The Corporation is a nonprofit corporation organized under the Act, and it is not organized for the "
            "private gain of any person.",
            "Dana Whitfield",
            "organized exclusively for charitable, religious, educational and scientific purposes",
            "section 501(c)(3) of the Internal Revenue Code",
            "No part of the net earnings of the Corporation shall inure",
            "No substantial part of the activities of the Corporation shall be the carrying on of propaganda",
            "shall not participate in, or intervene in",
            "section 170(c)(2)",
            *DISSOLUTION,
            "Initial Directors.",
            "Helen Marquez",
            "Jonah Whitaker",
            "Grace Okafor",
            "No Members.",
        ],
    )
    assert "public benefit corporation" not in text  # California's statement only in California
    # no members: the inurement clause names none (the IRS wording keeps "members" where there are some)
    assert "be distributable to, its directors, officers or other private persons" in text
    assert "The number of directors constituting the initial Board of Directors is three (3)." in text
    _forbid(text, NONPROFIT_FORBIDDEN)
    _no_distribution_to_insiders(text)


def test_nonprofit_articles_state_statement() -> None:
    text = reading(rendered("nonprofit-articles", "np_ca_members"))
    _require(
        text,
        [
            "This corporation is a nonprofit public benefit corporation and is not organized for the "
            "private gain of any person.",
            "The Corporation shall have no voting members.",
            "non-voting members",
            *DISSOLUTION,
        ],
    )
    assert text.count("not organized for the private gain of any person") == 1  # stated once
    assert "be distributable to, its members, directors, officers or other private persons" in text
    _forbid(text, NONPROFIT_FORBIDDEN)
    _no_distribution_to_insiders(text)


@pytest.mark.parametrize("sample", ["np_de", "np_de_members"])
def test_delaware_nonprofit_is_nonstock_with_its_conditions_of_membership(sample: str) -> None:
    """8 Del. C. § 102(a)(4): a nonstock corporation's certificate states that it has no capital stock and its
    conditions of membership; Delaware nonstock corporations have members, so the directors are its members
    (never "no members"), in the certificate and in the bylaws alike. § 102(a)(2): the county line."""
    text = reading(rendered("nonprofit-articles", sample))
    _require(
        text,
        [
            "Certificate of Incorporation",
            "Nonstock Corporation. The Corporation is a nonstock corporation and is not authorized to issue "
            "capital stock.",
            "Conditions of Membership. The members of the Corporation within the meaning of the Act are its "
            "directors in office from time to time, being the persons entitled to vote for the election of the "
            "Board of Directors",
            "(County: ________).",
            *DISSOLUTION,
        ],
    )
    assert "shall have no members" not in text and "No Members." not in text
    assert ("non-voting members" in text) == SAMPLES[sample]()["has_members"]
    assert re.findall(r"\bstock\b", text) == ["stock"]  # only in the no-capital-stock sentence
    _forbid(text, [p for p in NONPROFIT_FORBIDDEN if p != r"\bstock\b"])
    _no_distribution_to_insiders(text)
    bylaws = reading(rendered("nonprofit-bylaws", sample))
    assert "Directors as Members. As the Charter provides, the members of the Corporation" in bylaws
    assert "has no members within the meaning of the Act" not in bylaws
    _forbid(bylaws, NONPROFIT_FORBIDDEN)
    # elsewhere nothing changes: Colorado's articles say no members and carry no nonstock or county line
    colorado = reading(rendered("nonprofit-articles", "np_co"))
    assert "No Members." in colorado and "Nonstock" not in colorado and "County:" not in colorado


# --- conflict of interest policy ------------------------------------------------------------------------


def test_conflict_of_interest_policy_with_disclosure_form() -> None:
    r = rendered("conflict-of-interest-policy", "np_co")
    text = reading(r)
    _require(
        text,
        [
            "Conflict of Interest Policy",
            "Interested Person.",
            "Financial Interest.",
            "Duty to Disclose.",
            "Determining Whether a Conflict of Interest Exists.",
            "Procedures for Addressing the Conflict of Interest.",
            "Violations of the Conflict of Interest Policy.",
            "Records of Proceedings",
            "Compensation",
            "Annual Statements",
            "Periodic Reviews",
            "Use of Outside Experts.",
            "ANNUAL CONFLICT OF INTEREST DISCLOSURE STATEMENT",
            "I have received a copy of the Conflict of Interest Policy",
            "must engage primarily in activities which accomplish one or more of its tax-exempt purposes",
            "Signature:",
            "Colorado Revised Nonprofit Corporation Act",
        ],
    )
    _forbid(text, NONPROFIT_FORBIDDEN)
    assert r.pages >= 4


# --- EIN documents ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", ["ss4_corp", "ss4_np", "ss4_llc"])
def test_ss4_worksheet_full_number_only_on_line_7b(sample: str) -> None:
    ctx = SAMPLES[sample]()
    r = rendered("ss4-worksheet", sample)
    text = reading(r)
    assert text.count(S.SAMPLE_SSN) == 1, "the full SSN must print exactly once"
    line_7b = text[text.index("Line 7b") : text.index("Line 8a")]
    assert S.SAMPLE_SSN in line_7b
    assert SSN_SHAPED.findall(text) == [S.SAMPLE_SSN]
    assert S.SAMPLE_SSN_MASKED in text.replace(line_7b, "")
    pages = [p for p in r.text.split("\f") if p.strip()]
    assert all("CONFIDENTIAL - contains a taxpayer identification number" in p for p in pages)
    for line in (
        "Line 1 ",
        "Line 2 ",
        "Line 4a",
        "Line 6 ",
        "Line 7a",
        "Line 8a",
        "Line 8b",
        "Line 9a",
        "Line 9b",
        "Line 10",
        "Line 11",
        "Line 12",
        "Line 13",
        "Line 14",
        "Line 15",
        "Line 16",
        "Line 17",
        "Line 18",
    ):
        assert line in text, line
    _require(text, ["Designee\u2019s name Performance West", ctx["ss4"]["line_9a"], ctx["entity_name"]])
    assert "and the filing has been accepted by the" in text
    assert f"the {ctx['state']['formation_document']} has been accepted" not in text
    if ctx["is_llc"]:
        assert re.search(r"Number of LLC members 2\b", text)
    else:
        assert "Number of LLC members Not applicable" in text
        assert f"State where incorporated {ctx['state']['name']}" in text


@pytest.mark.parametrize(
    ("sample", "expected", "absent"),
    [
        ("ein_np", ["Form 1023", "27 months", "Form 990"], ["Form 2553", "Form 1120", "Form 1065"]),
        (
            "ein_corp_s",
            ["Form 2553", "Form 1120-S", "To make the S corporation election that the organizational consent approves"],
            ["Form 1023", "Form 1065", "If the corporation intends"],
        ),
        ("ein_corp_c", ["Form 1120"], ["Form 2553", "Form 1023", "Form 1065"]),
        ("ein_llc", ["Form 1065"], ["Form 2553", "Form 1023", "Form 1120"]),
        (
            "ein_llc_s",
            ["Form 2553", "Form 1120-S", "treated as having elected to be taxed as a corporation"],
            ["Form 1065", "disregarded", "Form 1023"],
        ),
    ],
)
def test_ein_confirmation_never_shows_a_taxpayer_number(sample: str, expected: list[str], absent: list[str]) -> None:
    ctx = SAMPLES[sample]()
    text = reading(rendered("ein-confirmation", sample))
    _require(
        text,
        [
            ctx["ein"],
            ctx["ein_assigned_date"],
            "CP 575",
            "Open a Bank Account.",
            f"Register with {ctx['state']['name']}.",
            "a sales and use tax account if the state imposes that tax",
            "Keep the CP 575",
            ctx["entity_name"],
            *expected,
        ],
    )
    for form in absent:
        assert form not in text, form
    assert not SSN_SHAPED.search(text), "an SSN-shaped value is printed"
    assert not MASKED_SHAPED.search(text), "a masked SSN is printed"
    assert S.SAMPLE_SSN[-4:] not in text
