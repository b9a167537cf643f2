"""Regenerate the SaaS-onboarding example's data files (deterministic; run from anywhere).

The files look like exports a SaaS team really has: a product-analytics event log as TSV with
"Title Case" event names and millisecond UTC timestamps, an in-app survey exported as TSV with the
survey tool's own column headers ("Respondent ID", "Submitted At", ...), and support tickets whose text
holds the subject, blank lines, a greeting and a signature, as CSV with quoted line breaks.

    python templates/saas-onboarding/make_data.py
"""

from __future__ import annotations

import csv
import random
import string
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent / "data"
ACCOUNTS = 1600
PLANS = [("solo", 0.55), ("team", 0.45)]
TICKETS = {
    "bank_connect": (
        ["Subject: Bank connected, thanks\n\nHi,\nafter your fix the connection worked right away. Great support!\n\nTom"],
        ["Subject: Bank sync fails\n\nHi team,\nconnecting our bank fails with \"consent expired\" every time.\n"
         "I tried three times. This is really frustrating.\n\nBest, Anna",
         "Subject: Which banks are supported?\n\nMy bank is not in the list and there is no explanation, "
         "so I cannot use the product at all. Disappointed.",
         "Subject: Error 403\n\nThe bank connection page just says \"Error 403\". What does that mean?? "
         "Wasted my evening.",
         "Subject: Connection keeps dropping\n\nIt connected, then failed again the next day, annoying."],
    ),
    "setup_wizard": (
        ["Subject: Nice setup\n\nThe wizard was clear and quick, well done.",
         "Subject: Setup\n\nEasy to follow, I liked the progress bar."],
        ["Subject: Wizard\n\nToo many questions about VAT before I could see anything, confusing."],
    ),
    "first_report": (
        ["Subject: Love the report\n\nMy first profit & loss report was ready in minutes. Excellent!",
         "Subject: Report\n\nThe cash-flow chart is great, my accountant was happy."],
        ["Subject: Report empty\n\nThe report shows nothing because the bank never synced."],
    ),
    "upgrade_prompt": (
        [],
        ["Subject: Pop-up\n\nWhy am I asked to upgrade on day three? I haven't even seen the product work. Annoying.",
         "Subject: Pricing\n\nThe upgrade banner blocks the screen, irritating."],
    ),
    "onboarding_call": (
        ["Subject: Thank you\n\nThe onboarding call with Lea was very helpful, thanks a lot!"],
        ["Subject: Call\n\nThe call was rescheduled twice, poor."],
    ),
}
NEGATIVE_ODDS = {"bank_connect": 0.85, "setup_wizard": 0.25, "first_report": 0.15, "upgrade_prompt": 1.0,
                 "onboarding_call": 0.2}


def weighted(rng: random.Random, options: list[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def account_events(rng: random.Random, plan: str) -> list[tuple[datetime, str]]:
    t = datetime(2026, 1, 1, 7, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(0, 89 * 24 * 3600),
                                                                  milliseconds=rng.randrange(1000))
    events: list[tuple[datetime, str]] = []

    def add(name: str, minutes: float) -> None:
        nonlocal t
        t += timedelta(minutes=minutes, milliseconds=rng.randrange(1000))
        events.append((t, name))

    if rng.random() < 0.7:
        add("Pricing Viewed", 0)
    add("Signed Up", rng.uniform(1, 20))
    if rng.random() < 0.1:
        return events  # never verified
    add("Email Verified", rng.uniform(1, 240))
    for _ in range(rng.randint(1, 4)):
        add("Wizard Step Completed", rng.uniform(0.5, 5))
    if rng.random() < 0.08:
        return events  # left in the wizard
    add("Bank Connection Started", rng.uniform(1, 60 * 24))
    connected = False
    for _ in range(3):
        if rng.random() < 0.55:
            add("Bank Connected", rng.uniform(0.5, 3))
            connected = True
            break
        add("Bank Connection Failed", rng.uniform(0.5, 3))
        if rng.random() < 0.45:
            break  # gave up after a failure
        add("Bank Connection Started", rng.uniform(10, 60 * 24))
    if not connected:
        return events
    if rng.random() < (0.65 if plan == "team" else 0.12):
        add("Teammate Invited", rng.uniform(1, 60))
    if rng.random() < 0.1:
        return events
    add("Report Generated", rng.uniform(10, 60 * 48))
    if rng.random() < 0.3:
        add("Onboarding Call Held", rng.uniform(60 * 24, 60 * 24 * 5))
    if rng.random() < 0.08:
        return events
    add("Upgrade Prompt Shown", rng.uniform(60, 60 * 24 * 3))
    if rng.random() < (0.3 if plan == "team" else 0.12):
        add(rng.choice(["Plan Upgraded", "Seats Added"]), rng.uniform(5, 60 * 24 * 10))
    add("Renewal Reminder Sent", rng.uniform(60 * 24 * 5, 60 * 24 * 12))
    if rng.random() < 0.82:
        add("Subscription Renewed", rng.uniform(60 * 24 * 2, 60 * 24 * 3))
    return events


def write(path: Path, rows: list[dict], *, delimiter: str = ",") -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{path.name}: {len(rows)} rows")


def main() -> None:
    rng = random.Random(20260101)
    HERE.mkdir(parents=True, exist_ok=True)
    events, survey, tickets = [], [], []
    for _ in range(ACCOUNTS):
        account = "acc_" + "".join(rng.choices(string.ascii_lowercase + string.digits, k=10))
        plan = weighted(rng, PLANS)
        evs = account_events(rng, plan)
        events += [{"customer_id": account, "timestamp": stamp(t), "event": name, "segment": plan} for t, name in evs]
        names = [name for _, name in evs]

        def ask(tp: str, question: str, score: int, at: datetime, account: str = account, plan: str = plan) -> None:
            survey.append({"Respondent ID": account, "Submitted At": at.strftime("%Y-%m-%d %H:%M:%S"),
                           "Touchpoint": tp, "Question": question, "Score": score, "Plan": plan})

        def clamp(x: float, lo: int, hi: int) -> int:
            return max(lo, min(hi, round(x)))

        def at(event: str) -> datetime:
            return next(t for t, name in evs if name == event) + timedelta(minutes=rng.uniform(1, 30))

        if "Wizard Step Completed" in names and rng.random() < 0.4:
            ask("setup_wizard", "csat", clamp(rng.gauss(4.0, 0.9), 1, 5), at("Wizard Step Completed"))
        if "Bank Connection Started" in names and rng.random() < 0.45:
            failed = names.count("Bank Connection Failed")
            ask("bank_connect", "ces", clamp(rng.gauss(3.6 + 1.6 * min(failed, 2), 1.0), 1, 7),
                at("Bank Connection Started"))
        if "Report Generated" in names and rng.random() < 0.4:
            ask("first_report", "nps", clamp(rng.gauss(8.0, 1.8), 0, 10), at("Report Generated"))
        if "Onboarding Call Held" in names and rng.random() < 0.6:
            ask("onboarding_call", "csat", clamp(rng.gauss(4.4, 0.7), 1, 5), at("Onboarding Call Held"))
        touched = [tp for tp, event in (("bank_connect", "Bank Connection Started"),
                                        ("setup_wizard", "Wizard Step Completed"), ("first_report", "Report Generated"),
                                        ("upgrade_prompt", "Upgrade Prompt Shown"),
                                        ("onboarding_call", "Onboarding Call Held")) if event in names]
        if touched and rng.random() < 0.12:
            tp = rng.choice(touched)
            pos, neg = TICKETS[tp]
            text = rng.choice(neg if rng.random() < NEGATIVE_ODDS[tp] or not pos else pos)
            opened = evs[-1][0] + timedelta(hours=rng.uniform(0.5, 30))
            tickets.append({"id": f"T-{40000 + len(tickets)}", "respondent_id": account,
                            "timestamp": opened.strftime("%Y-%m-%dT%H:%M:%SZ"), "touchpoint": tp, "lang": "en",
                            "text": text})
    events.sort(key=lambda r: (r["timestamp"], r["customer_id"]))
    write(HERE / "events.tsv", events, delimiter="\t")
    write(HERE / "survey.tsv", survey, delimiter="\t")
    write(HERE / "tickets.csv", tickets)


if __name__ == "__main__":
    main()
