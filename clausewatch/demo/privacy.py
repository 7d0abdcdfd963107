"""Northwind AI Privacy Policy content, with its per-version differences.

Differences between versions (v3 is word-for-word identical to v2):

* ``last_updated``: v1 "March 3, 2025" -> v2 "July 14, 2025".
* Model training clause (section "How we use your information", subheading
  "Model training"): v2 appends ``TRAINING_CARVE_OUT``.
* Section "International data transfers" MOVES, text unchanged: in v1 it
  follows "How we share information"; in v2 it follows "Children's privacy".
"""

from __future__ import annotations

from clausewatch.demo.model import (
    Policy,
    Section,
    Table,
    bullets,
    ordered,
    para,
    section,
    sub,
)

LAST_UPDATED = {1: "March 3, 2025", 2: "July 14, 2025"}

TRAINING_CLAUSE = (
    "We may use your Inputs and Outputs to train and improve the models that power "
    "our Services. You can opt out of model training at any time in "
    "[Account Settings > Data Controls](/settings/data-controls). Once you opt out, "
    "we will not use your future Inputs and Outputs to train our models."
)

TRAINING_CARVE_OUT = (
    "Even if you opt out, we may use conversations that are flagged for safety "
    "review to train the models we use to detect and prevent abuse of our Services."
)

SECTION_ORDER = {
    1: (
        "who-we-are",
        "information-we-collect",
        "how-we-use",
        "how-we-share",
        "international-transfers",
        "data-retention",
        "data-security",
        "childrens-privacy",
        "changes",
        "contact",
    ),
    2: (
        "who-we-are",
        "information-we-collect",
        "how-we-use",
        "how-we-share",
        "data-retention",
        "data-security",
        "childrens-privacy",
        "international-transfers",
        "changes",
        "contact",
    ),
}

INTRO = (
    para(
        'This Privacy Policy explains how Northwind AI, Inc. ("Northwind AI", "we", '
        '"us") collects, uses and shares information when you use the Northwind '
        'assistant, the Northwind API and our websites (together, the "Services").'
    ),
    para(
        'In this policy, "Inputs" means the prompts, files and other content you '
        'submit to the Services, and "Outputs" means the responses the Services '
        "generate for you."
    ),
)


def _who_we_are() -> Section:
    return section(
        "who-we-are",
        "Who we are",
        para(
            "Northwind AI, Inc. is a software company that builds AI assistants for "
            "individuals and teams. Northwind AI is the controller of the personal "
            "information described in this policy, unless we say otherwise."
        ),
        para(
            "If you use the Services through an account managed by your employer or "
            "school, that organization controls your workspace data and its own "
            "privacy notice also applies."
        ),
    )


def _information_we_collect() -> Section:
    return section(
        "information-we-collect",
        "Information we collect",
        para(
            "We collect information in three ways: when you give it to us, "
            "automatically when you use the Services, and from third parties."
        ),
        sub("Information you provide"),
        bullets(
            "Account information, such as your name, email address, password and "
            "organization name.",
            "Inputs, including prompts, uploaded files, images and audio.",
            "Payment information, such as your billing address and the last four "
            "digits of your card, which our payment processor handles for us.",
            "Communications with us, such as support requests and survey responses.",
        ),
        sub("Information collected automatically"),
        para(
            "When you use the Services we record technical information such as your "
            "IP address, browser type, device identifiers, the pages you visit, and "
            "the date and time of each request. We use cookies and similar "
            "technologies as described in our [Cookie Notice](/cookies)."
        ),
        sub("Information from third parties"),
        para(
            "If you sign in with a third-party identity provider, we receive your "
            "name, email address and profile picture from that provider. We may also "
            "receive information from partners that resell the Services to your "
            "organization."
        ),
    )


def _how_we_use(training_clause: str) -> Section:
    return section(
        "how-we-use",
        "How we use your information",
        para("We use personal information to:"),
        bullets(
            "Provide, operate and maintain the Services, including generating "
            "Outputs in response to your Inputs.",
            "Process payments and send receipts, account notices and security alerts.",
            "Respond to your questions and provide customer support.",
            "Detect and investigate fraud, abuse, security incidents and violations "
            "of our [Acceptable Use Policy](/acceptable-use).",
            "Comply with legal obligations and enforce our [Terms of Service](/terms).",
        ),
        sub("Model training"),
        para(training_clause),
        para(
            "We take steps to reduce the amount of personal information in the data "
            "we use for training, such as filtering out email addresses and payment "
            "card numbers. We do not use Inputs and Outputs from business workspaces "
            "to train our models unless the workspace owner has agreed to it in "
            "writing."
        ),
    )


def _how_we_share() -> Section:
    return section(
        "how-we-share",
        "How we share information",
        para(
            "We do not sell your personal information. We share it only in the "
            "following situations:"
        ),
        bullets(
            "With service providers that host our infrastructure, process payments, "
            "or help us with support and analytics, under contracts that limit "
            "their use of the information.",
            "With your organization, if you use an account that your employer or school manages.",
            "With authorities or other parties when we believe in good faith that "
            "disclosure is required by law or needed to protect someone's safety.",
            "With a buyer or successor if we are involved in a merger, acquisition "
            "or sale of assets, subject to this policy.",
        ),
    )


def _international_transfers() -> Section:
    return section(
        "international-transfers",
        "International data transfers",
        para(
            "Northwind AI is based in the United States, and we process information "
            "on servers in the United States and the European Union. When we "
            "transfer personal information out of the European Economic Area, the "
            "United Kingdom or Switzerland, we rely on Standard Contractual Clauses "
            "approved by the European Commission or another lawful transfer "
            "mechanism."
        ),
        para(
            "You can ask for a copy of the safeguards we use by "
            "[contacting our privacy team](/contact)."
        ),
    )


def _data_retention() -> Section:
    return section(
        "data-retention",
        "Data retention",
        para(
            "We keep personal information only for as long as we need it for the "
            "purposes described in this policy. The table below shows our standard "
            "retention periods."
        ),
        Table(
            header=("Type of data", "How long we keep it"),
            rows=(
                ("Account information", "While your account is open, then 90 days"),
                ("Inputs and Outputs", "Until you delete them, then up to 30 days"),
                ("Conversations flagged for safety review", "Up to 2 years"),
                ("Payment records", "7 years, as required by tax law"),
                ("Server logs", "12 months"),
            ),
        ),
        para(
            "We may keep information for longer where the law requires it or where "
            "we need it to resolve a dispute."
        ),
    )


def _data_security() -> Section:
    return section(
        "data-security",
        "Data security",
        para(
            "We protect personal information with encryption in transit and at rest, "
            "access controls, employee training and regular independent security "
            "assessments. You can read more on our [Security page](/security)."
        ),
        para(
            "No system is perfectly secure. If we learn of a security incident that "
            "affects your personal information, we will notify you as required by law."
        ),
    )


def _your_choices() -> Section:
    """Inserted by JavaScript after load; absent from the served HTML."""
    return section(
        "your-choices",
        "Your choices and rights",
        para("Depending on where you live, you may have the right to:"),
        bullets(
            "Access the personal information we hold about you and get a copy of it.",
            "Correct information that is inaccurate or incomplete.",
            "Delete your account and the personal information associated with it.",
            "Object to or restrict certain processing, including processing based on "
            "our legitimate interests.",
            "Withdraw your consent at any time, where we rely on consent.",
        ),
        para(
            "You can exercise most of these rights in "
            "[Account Settings](/settings/data-controls) or by "
            "[contacting us](/contact). We will respond within the time required by "
            "law and will not treat you differently for exercising your rights."
        ),
        para(
            "You also have the right to lodge a complaint with your local data "
            "protection authority."
        ),
    )


def _childrens_privacy() -> Section:
    return section(
        "childrens-privacy",
        "Children's privacy",
        para(
            "The Services are not directed to children under 13, and we do not "
            "knowingly collect personal information from them. If you believe a "
            "child has given us personal information, please [contact us](/contact) "
            "and we will delete it."
        ),
    )


def _changes() -> Section:
    return section(
        "changes",
        "Changes to this policy",
        para(
            "We may update this Privacy Policy from time to time. When we do, we "
            'will change the "Last updated" date at the top of this page, and if '
            "the changes are significant we will also notify you by email or "
            "through the Services."
        ),
    )


def _contact() -> Section:
    return section(
        "contact",
        "Contact us",
        para(
            "If you have questions about this policy or our privacy practices, "
            "contact our Data Protection Officer at privacy@northwind-ai.example or "
            "write to Northwind AI, Inc., Attn: Privacy, 410 Harbor Lane, "
            "Larkspur Bay."
        ),
    )


def privacy_policy(version: int) -> Policy:
    """Return the Privacy Policy as of ``version`` (v3 text equals v2)."""
    text_version = 1 if version == 1 else 2
    training = TRAINING_CLAUSE
    if text_version == 2:
        training = f"{TRAINING_CLAUSE} {TRAINING_CARVE_OUT}"
    sections = {
        s.id: s
        for s in (
            _who_we_are(),
            _information_we_collect(),
            _how_we_use(training),
            _how_we_share(),
            _international_transfers(),
            _data_retention(),
            _data_security(),
            _childrens_privacy(),
            _changes(),
            _contact(),
        )
    }
    return Policy(
        heading="Privacy Policy",
        last_updated=LAST_UPDATED[text_version],
        intro=INTRO,
        sections=ordered(sections, SECTION_ORDER[text_version]),
        deferred=_your_choices(),
        deferred_before="childrens-privacy",
    )
