"""Create the Prefect Automation that notifies on substantive changes (as shown in the README).

    PREFECT_API_URL=http://127.0.0.1:4200/api .venv/bin/python deployments/automation.py BLOCK

BLOCK names a notification block made in the Prefect UI (Blocks: Slack Webhook, Email, ...);
without it the automation is created with a "do nothing" action to be edited in the UI.
"""

from __future__ import annotations

import sys

from prefect.automations import Automation, DoNothing, EventTrigger, Posture, SendNotification
from prefect.blocks.core import Block


def main(block_name: str | None = None) -> None:
    if block_name:
        block = Block.load(block_name)
        action = SendNotification(
            block_document_id=block._block_document_id,
            subject="{{ event.resource.name }} changed",
            body="{{ event.payload.cloudevent.data.document.title }}: "
            "{{ event.payload.cloudevent.data.summary }}\n{{ event.payload.cloudevent.data.document.url }}",
        )
    else:
        action = DoNothing()
    automation = Automation(
        name="clausewatch: substantive change",
        description="Notify when the words of a monitored policy change.",
        trigger=EventTrigger(
            expect={"dev.clausewatch.document.changed"},
            match={"prefect.resource.id": "clausewatch.document.*"},
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[action],
    )
    print(automation.create().id)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
