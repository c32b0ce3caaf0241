"""The logs of a whole run, at DEBUG, hold no message text, health answer or token."""

from __future__ import annotations

import json

import pytest

from content.loader import load_library
from tests.e2e.process import TOKEN, Deployment

pytestmark = pytest.mark.e2e

TYPED_CITY = "Xylophonia 8841"
PRIVATE_WORDS = "my private words qz71 about my sciatica"


async def test_a_full_run_logs_nothing_private(deployment: Deployment) -> None:
    deploy = deployment
    rules = load_library().rules
    run = await deploy.start(LOG_LEVEL="DEBUG")
    ann = deploy.server.user(1001, first_name="Ann")

    await deploy.send(ann, "/start")
    await deploy.press(ann, "Yes, I'm 16 to 49")
    out = await deploy.send(ann, TYPED_CITY)
    assert "Xylophonia" in out[0].text_or_caption  # the bot repeats it to her, not to the log
    for answer in ("Europe", "Berlin", "None of these", "None of these"):
        await deploy.press(ann, answer)
    await deploy.press(ann, "Losing weight")  # a red flag: a health answer if ever there was one
    await deploy.press(ann, "A doctor has examined me")
    await deploy.press(ann, "I was examined and cleared")
    await deploy.press(ann, "nothing is new or worse")
    await deploy.press(ann, "None of these")
    await deploy.press(ann, "Herniated disc")
    await deploy.press(ann, "Done")
    for answer in ("7", "More than 3 months"):  # a doctor first: no plan to confirm
        await deploy.press(ann, answer)
    await deploy.press(ann, "A doctor has examined me")
    await deploy.press(ann, "I was examined and cleared")
    await deploy.press(ann, "nothing is new or worse")
    await deploy.send(ann, "/today")
    await deploy.press(ann, "It hurts")
    # An unexpected error on the way, so the error handler writes its report too.
    deploy.server.fail("sendMessage", 400, description="Bad Request: can't parse entities")
    out = await deploy.send(ann, PRIVATE_WORDS)
    assert "Sorry" in out[-1].text_or_caption
    deploy.server.send_sticker(ann)
    forged_on = deploy.server.last_bot_message(ann).message_id
    deploy.server.press(ann, forged_on, "c1:424242:0:done", force=True)
    await deploy.server.settle(quiet=0.3)
    out = await deploy.send(ann, "/export")
    export = deploy.server.files[str(out[-1].document_file_id)].data.decode()
    await deploy.send(ann, "/forget")
    await deploy.press(ann, "Yes, erase everything")
    assert await run.stop() == 0

    log = run.output
    assert "update" in log and "failed" in log and "running: long polling" in log
    forbidden = [
        TOKEN,
        TOKEN.split(":")[1],
        "qz71",
        "sciatica",
        "Xylophonia",
        "t1:",  # triage buttons carry the answers
        "c1:424242",
        "red_flag_ids",
        "contraindication_ids",
        "pain_now",
        *(flag.question[:40] for flag in rules.flags),
        # one-word labels ("pregnancy") also name a migration in the log, not a person
        *(flag.label for flag in rules.flags if " " in flag.label),
        json.loads(export)["profile"]["completed_at"],
    ]
    leaks = [item for item in forbidden if item in log]
    assert leaks == [], leaks
