"""Regenerate the public-service example's data files (deterministic; run from anywhere).

The files look like exports a city administration really has: the case-management system's event log,
semicolon-separated with dates as 03.10.2025 09:15 and fees with a decimal comma; a satisfaction survey
sent after each decision; and the free-text feedback form, in German and English, exported as UTF-8 with
a byte-order mark (as Excel writes it), with semicolons, quotes and line breaks inside the comments.

    python templates/public-service/make_data.py
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent / "data"
CITIZENS = 1800
SEGMENTS = [("homeowner", 0.7), ("contractor", 0.3)]
DATA_END = datetime(2026, 4, 30, 18)  # cases still open at the export date have no decision yet
CHANNEL = {
    "website_visit": "web", "guide_download": "web", "hotline_call": "phone", "application_started": "web",
    "application_submitted": "web", "documents_uploaded": "web", "fee_paid": "web", "completeness_checked": "internal",
    "documents_requested": "letter", "documents_resubmitted": "web", "status_call": "phone",
    "decision_issued": "letter", "start_notice_filed": "web", "appeal_filed": "letter", "appeal_decided": "letter",
}
FEEDBACK = {
    "missing_docs_request": (
        ["The letter clearly listed the one missing plan, fine."],
        ["I was asked for the site plan again; I had uploaded it in October!\nNobody could tell me why.",
         "Schon wieder fehlende Unterlagen. Ich habe alles zweimal geschickt, das ist ärgerlich.",
         'The letter said "documents incomplete" but not which ones. Terrible.',
         "Drei Wochen gewartet, nur um zu erfahren, dass ein Formular fehlt; schlecht organisiert."],
    ),
    "status_enquiry": (
        ["Die Dame an der Hotline war sehr freundlich und hilfsbereit."],
        ["Called three times; each time \"please wait, the case is in progress\". Useless.",
         "Die Hotline kann meinen Antrag nicht sehen. Frustrierend!"],
    ),
    "online_form": (
        ["The online form was easy, it saved my progress. Good.", "Antrag online gestellt, ging gut und schnell."],
        ["The upload kept failing for PDFs over 10 MB, annoying."],
    ),
    "decision_letter": (
        ["Permit granted faster than expected, thank you!", "Genehmigung erhalten, alles super."],
        ["The refusal letter is pure legal text; I don't know what to change.",
         "Ablehnung ohne verständliche Begründung, sehr enttäuschend."],
    ),
    "city_website": (
        ["Useful overview page."],
        ["I couldn't find out whether my carport needs a permit at all. Confusing."],
    ),
}
NEGATIVE_ODDS = {"missing_docs_request": 0.85, "status_enquiry": 0.8, "online_form": 0.3, "decision_letter": 0.35,
                 "city_website": 0.7}


def weighted(rng: random.Random, options: list[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def case_events(rng: random.Random, segment: str) -> list[tuple[datetime, str, str]]:
    t = datetime(2025, 10, 1, 7) + timedelta(minutes=rng.randrange(0, 182 * 24 * 60))
    events: list[tuple[datetime, str, str]] = []

    def add(name: str, minutes: float, value: str = "") -> bool:
        nonlocal t
        t += timedelta(minutes=minutes)
        if t > DATA_END:
            return False
        events.append((t, name, value))
        return True

    add("website_visit", 0)
    if rng.random() < 0.5:
        add("guide_download", rng.uniform(1, 20))
    called = rng.random() < 0.3
    if called:
        add("hotline_call", rng.uniform(60, 60 * 24 * 3))
    if rng.random() < (0.3 if called else 0.55):  # callers are the ones who mean to build
        return events  # no permit needed, or gave up
    if not add("application_started", rng.uniform(60, 60 * 24 * 20)):
        return events
    if rng.random() < 0.12:
        return events  # abandoned the form
    add("application_submitted", rng.uniform(10, 90))
    for _ in range(rng.randint(1, 3)):
        add("documents_uploaded", rng.uniform(1, 20))
    fee = rng.choice([150, 240, 312.5, 480, 655.75, 890])
    add("fee_paid", rng.uniform(1, 60 * 24), f"{fee:.2f}".replace(".", ","))
    if not add("completeness_checked", rng.uniform(3, 15) * 24 * 60):
        return events
    if rng.random() < (0.45 if segment == "homeowner" else 0.15):
        add("documents_requested", rng.uniform(0.2, 2) * 24 * 60)
        if rng.random() < 0.6:
            add("status_call", rng.uniform(3, 10) * 24 * 60)
        if rng.random() < 0.3:
            return events  # withdrew
        if not add("documents_resubmitted", rng.uniform(5, 30) * 24 * 60):
            return events
    elif rng.random() < 0.25:
        add("status_call", rng.uniform(5, 20) * 24 * 60)
    if not add("decision_issued", rng.uniform(10, 50) * 24 * 60):
        return events
    if rng.random() < 0.85:
        if rng.random() < 0.7:
            add("start_notice_filed", rng.uniform(5, 60) * 24 * 60)
    elif rng.random() < 0.4 and add("appeal_filed", rng.uniform(5, 28) * 24 * 60):
        if rng.random() < 0.8:
            add("appeal_decided", rng.uniform(20, 60) * 24 * 60)
    return events


def write(path: Path, rows: list[dict], encoding: str) -> None:
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{path.name}: {len(rows)} rows")


def main() -> None:
    rng = random.Random(20251001)
    HERE.mkdir(parents=True, exist_ok=True)
    cases, survey, feedback = [], [], []
    for i in range(1, CITIZENS + 1):
        cid = f"BRK-{i:05d}"
        segment = weighted(rng, SEGMENTS)
        evs = case_events(rng, segment)
        cases += [{"Customer ID": cid, "Timestamp": t.strftime("%d.%m.%Y %H:%M"), "Event": name,
                   "Channel": CHANNEL[name], "Segment": segment, "Value": value} for t, name, value in evs]
        names = [name for _, name, _ in evs]
        if "application_submitted" not in names or rng.random() > 0.5:
            continue
        when = (evs[-1][0] + timedelta(days=rng.uniform(1, 10))).strftime("%d.%m.%Y %H:%M")

        def ask(tp: str, question: str, score: int, cid: str = cid, when: str = when, segment: str = segment) -> None:
            survey.append({"respondent_id": cid, "timestamp": when, "touchpoint": tp, "question": question,
                           "score": score, "segment": segment})

        def clamp(x: float, lo: int, hi: int) -> int:
            return max(lo, min(hi, round(x)))

        ask("online_form", "csat", clamp(rng.gauss(3.8, 0.9), 1, 5))
        ask("online_form", "ces", clamp(rng.gauss(3.9, 1.3), 1, 7))
        if "documents_requested" in names:
            ask("missing_docs_request", "csat", clamp(rng.gauss(2.1, 0.9), 1, 5))
        if "status_call" in names:
            ask("status_enquiry", "csat", clamp(rng.gauss(2.4, 1.0), 1, 5))
        if "decision_issued" in names:
            ask("decision_letter", "csat", clamp(rng.gauss(3.5, 1.1), 1, 5))
        touched = [tp for tp, event in (("missing_docs_request", "documents_requested"),
                                        ("status_enquiry", "status_call"), ("online_form", "application_submitted"),
                                        ("decision_letter", "decision_issued"), ("city_website", "website_visit"))
                   if event in names]
        if rng.random() < 0.4:
            tp = rng.choice(touched)
            pos, neg = FEEDBACK[tp]
            text = rng.choice(neg if rng.random() < NEGATIVE_ODDS[tp] or not pos else pos)
            feedback.append({"ID": f"{len(feedback) + 1}", "Timestamp": when, "Touchpoint": tp, "Text": text})
    cases.sort(key=lambda r: (datetime.strptime(r["Timestamp"], "%d.%m.%Y %H:%M"), r["Customer ID"]))
    write(HERE / "cases.csv", cases, "utf-8")
    write(HERE / "survey.csv", survey, "utf-8")
    write(HERE / "feedback.csv", feedback, "utf-8-sig")


if __name__ == "__main__":
    main()
