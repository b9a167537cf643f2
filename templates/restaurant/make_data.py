"""Regenerate the restaurant example's data files (deterministic; run from anywhere).

The files look like exports a taqueria really has: a POS/app event log with raw event names and
local timestamps with a UTC offset, a long-format post-visit survey, and free-text feedback in the
four workshop languages (some rows with the language given, some left for detection).

    python templates/restaurant/make_data.py
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent / "data"
CEST = timezone(timedelta(hours=2))
SEGMENTS = [("office_lunch", 0.5), ("family", 0.25), ("tourist", 0.25)]
CHANNEL = {
    "ig_ad_impression": "social", "ig_profile_visit": "social", "maps_listing_view": "web",
    "web_menu_view": "web", "review_page_view": "web", "queue_joined": "store", "order_placed": "store",
    "app_order_placed": "app", "payment_completed": "store", "ticket_sent_to_kitchen": "store",
    "food_served": "store", "loyalty_stamp": "app", "repeat_visit": "store", "review_posted": "web",
}

# touchpoint → (positive, negative) feedback, per language. Short, the way people write them.
VERBATIMS = {
    "order_counter": {
        "en": (["Ordering was quick today, nice staff.", "The cashier helped us choose, lovely."],
               ["We waited 20 minutes just to order. Terrible.", "The line to order was awful and slow.",
                "Way too slow at the counter, I almost left."]),
        "de": (["Die Bestellung ging heute schnell, sehr freundlich.", "Tolle Beratung an der Theke."],
               ["Wir mussten 20 Minuten warten, um zu bestellen. Schrecklich.",
                "Die Schlange an der Theke war furchtbar langsam."]),
        "ko": (["주문이 빨라서 좋았어요.", "직원이 친절하게 메뉴를 추천해 줬어요."],
               ["주문하는 데 20분이나 기다렸어요. 너무 느려요.", "계산대 줄이 너무 길고 불편했어요."]),
        "ja": (["注文がすぐにできて良かったです。", "店員さんがとても親切でした。"],
               ["注文するまで20分も待たされて最悪でした。", "カウンターの列が長くて不便でした。"]),
    },
    "payment": {
        "en": (["Paying by phone was easy.", "Fast payment, great."],
               ["Had to queue again to pay. Annoying.", "The card machine failed twice, very frustrating."]),
        "de": (["Bezahlen mit dem Handy war einfach.", "Schnelle Bezahlung, super."],
               ["Zum Bezahlen mussten wir noch einmal anstehen. Ärgerlich.",
                "Das Kartenlesegerät war kaputt, sehr ärgerlich."]),
        "ko": (["휴대폰 결제가 편리했어요."], ["결제하려고 또 줄을 서야 해서 짜증났어요."]),
        "ja": (["スマホで簡単に支払えて便利でした。"], ["支払いのためにまた並ばなければならず、不満です。"]),
    },
    "food_served": {
        "en": (["Best tacos in town, amazing salsa!", "The al pastor was fantastic, loved it.",
                "Delicious food, generous portions.", "Great tacos, friendly kitchen team."],
               ["My tacos were cold.", "The food took forever to arrive."]),
        "de": (["Die besten Tacos der Stadt, großartig!", "Das Essen war hervorragend und frisch."],
               ["Die Tacos waren kalt."]),
        "ko": (["타코가 정말 맛있어요! 최고예요.", "음식이 신선하고 맛있었어요."], ["음식이 식어서 나왔어요."]),
        "ja": (["タコスが本当に美味しかったです！", "料理は最高でした。"], ["料理が冷めていて残念でした。"]),
    },
    "app_order": {
        "en": (["Ordering ahead in the app saved my lunch break.", "The app is simple and fast."],
               ["The app crashed when I tried to pay."]),
        "de": (["Die App ist praktisch und schnell."], ["Die App ist beim Bezahlen abgestürzt."]),
    },
    "web_menu": {
        "en": (["Nice menu with photos."], ["The menu is only in Spanish and German, hard to understand."]),
        "ko": (["메뉴 사진이 좋아요."], ["메뉴가 영어로 없어서 이해하기 어려웠어요."]),
        "ja": (["メニューの写真が分かりやすいです。"], ["メニューが英語でなく、分かりにくかったです。"]),
    },
    "queue": {
        "en": ([], ["The queue was out the door, no idea how long it would take."]),
        "de": ([], ["Die Warteschlange reichte bis auf die Straße."]),
    },
}
# A few texts in a language without a sentiment method, as real feedback boxes contain.
OTHER_LANGUAGE = ["塔可饼很好吃，但是排队太久了。", "Tacos buonissimi, ma la fila era troppo lunga."]


def weighted(rng: random.Random, options: list[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def customer_events(rng: random.Random, cid: str, segment: str) -> list[tuple[datetime, str]]:
    day = datetime(2026, 7, 1, tzinfo=CEST) + timedelta(days=rng.randrange(0, 92))
    t = day.replace(hour=rng.choice([11, 12, 12, 13]), minute=rng.randrange(60), second=rng.randrange(60))
    t -= timedelta(days=rng.choice([0, 0, 1, 2, 5]), hours=rng.random() * 6)  # discovery happens before the visit
    events: list[tuple[datetime, str]] = []

    def add(name: str, minutes: float) -> None:
        nonlocal t
        t += timedelta(minutes=minutes)
        events.append((t, name))

    entry = weighted(rng, [("awareness", 0.78), ("consideration", 0.12), ("purchase", 0.10)])
    if entry == "awareness":
        add(rng.choice(["ig_ad_impression", "ig_profile_visit", "maps_listing_view"]), 0)
        if rng.random() < 0.3:
            add("maps_listing_view", rng.uniform(1, 30))
        if rng.random() > 0.72:
            return events
        entry = "consideration"
        t += timedelta(hours=rng.uniform(0.2, 30))
    if entry == "consideration":
        add(rng.choice(["web_menu_view", "web_menu_view", "review_page_view"]), 0)
        if rng.random() > 0.78:
            return events
        t += timedelta(hours=rng.uniform(0.1, 20))
    slow = 1.6 if segment == "family" else 1.0
    if segment == "office_lunch" and rng.random() < 0.3:
        add("app_order_placed", 0)
        add("payment_completed", rng.uniform(0.3, 2))
    else:
        add("queue_joined", 0)
        if rng.random() < 0.09:  # gave up in the queue
            return events
        add("order_placed", rng.lognormvariate(2.3, 0.5) * slow)
        add("payment_completed", rng.lognormvariate(1.6, 0.5) * slow)
    add("ticket_sent_to_kitchen", rng.uniform(0.2, 1.5))
    add("food_served", rng.uniform(6, 16))
    if rng.random() < 0.4:
        add("loyalty_stamp", rng.uniform(20, 40))
    if rng.random() < 0.3:
        add("repeat_visit", rng.uniform(5, 40) * 24 * 60)
    if rng.random() < 0.1:
        add("review_posted", rng.uniform(1, 72) * 60)
    return events


def survey_rows(rng: random.Random, cid: str, segment: str, at: datetime, tps: set[str]) -> list[dict]:
    rows = []
    when = (at + timedelta(hours=rng.uniform(1, 30))).isoformat(timespec="seconds")

    def ask(tp: str, question: str, score: int) -> None:
        rows.append({"respondent_id": cid, "timestamp": when, "touchpoint": tp, "question": question,
                     "score": score, "segment": segment})

    clamp = lambda x, lo, hi: max(lo, min(hi, round(x)))  # noqa: E731
    if "order_placed" in tps:
        ask("order_counter", "csat", clamp(rng.gauss(3.3, 1.1), 1, 5))
    if "app_order_placed" in tps:
        ask("app_order", "ces", clamp(rng.gauss(2.2, 1.0), 1, 7))
    ask("payment", "csat", clamp(rng.gauss(3.5, 1.0), 1, 5))
    ask("payment", "ces", clamp(rng.gauss(4.6 if "order_placed" in tps else 2.5, 1.2), 1, 7))
    ask("food_served", "csat", clamp(rng.gauss(4.6, 0.6), 1, 5))
    ask("food_served", "nps", clamp(rng.gauss(7.6, 2.0), 0, 10))
    return rows


def main() -> None:
    rng = random.Random(20260701)
    HERE.mkdir(parents=True, exist_ok=True)
    events, survey, verbatims = [], [], []
    for i in range(1, 1801):
        cid = f"VLT-{i:05d}"
        segment = weighted(rng, SEGMENTS)
        evs = customer_events(rng, cid, segment)
        events += [
            {"customer_id": cid, "timestamp": t.isoformat(timespec="seconds"), "event": name,
             "channel": CHANNEL[name], "segment": segment}
            for t, name in evs
        ]
        names = {name for _, name in evs}
        if "food_served" in names and rng.random() < 0.3:
            served = next(t for t, name in evs if name == "food_served")
            survey += survey_rows(rng, cid, segment, served, names)
            if rng.random() < 0.6:
                tp = rng.choice([tp for tp in VERBATIMS if tp != "app_order" or "app_order_placed" in names])
                lang = {"tourist": rng.choice(["en", "en", "ko", "ja"]), "family": rng.choice(["de", "de", "en"]),
                        "office_lunch": rng.choice(["de", "en"])}[segment]
                texts = VERBATIMS[tp].get(lang) or VERBATIMS[tp]["en"]
                lang = lang if lang in VERBATIMS[tp] else "en"
                negative_odds = {"order_counter": 0.7, "payment": 0.6, "queue": 1.0, "food_served": 0.12,
                                 "app_order": 0.25, "web_menu": 0.5}[tp]
                pos, neg = texts
                pool = neg if (rng.random() < negative_odds or not pos) else pos
                verbatims.append({"id": f"FB-{len(verbatims) + 1:04d}", "respondent_id": cid,
                                  "timestamp": (served + timedelta(hours=2)).isoformat(timespec="seconds"),
                                  "touchpoint": tp, "lang": lang if rng.random() < 0.5 else "",
                                  "text": rng.choice(pool)})
    for text in OTHER_LANGUAGE:
        verbatims.append({"id": f"FB-{len(verbatims) + 1:04d}", "respondent_id": "", "timestamp": "",
                          "touchpoint": "order_counter", "lang": "", "text": text})
    events.sort(key=lambda r: (r["timestamp"], r["customer_id"]))
    for name, rows in (("events", events), ("survey", survey), ("verbatims", verbatims)):
        with open(HERE / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"{name}.csv: {len(rows)} rows")


if __name__ == "__main__":
    main()
