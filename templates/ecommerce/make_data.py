"""Regenerate the e-commerce example's data files (deterministic; run from anywhere).

The files look like exports an online shop really has: a web-analytics event log with raw event names
and UTC timestamps, a long-format post-order survey (with exit-survey answers from abandoned checkouts),
and free-text feedback exported from a feedback tool as UTF-8 with a byte-order mark, with commas,
quotes and line breaks inside the text.

    python templates/ecommerce/make_data.py
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent / "data"
CUSTOMERS = 2400
SEGMENTS = [("deal_seeker", 0.55), ("busy_parent", 0.45)]
CHANNEL = {
    "search_click": "web", "social_ad_click": "social", "newsletter_click": "email", "site_search": "web",
    "product_view": "web", "review_read": "web", "add_to_cart": "web", "checkout_start": "web",
    "checkout_address": "web", "checkout_shipping": "web", "payment_submit": "web", "payment_failed": "web",
    "order_confirmed": "email", "tracking_view": "app", "delivered": "carrier", "support_chat": "chat",
    "return_started": "web",
}
# touchpoint → (positive, negative) feedback as customers type it: commas, quotes, line breaks, some German.
VERBATIMS = {
    "checkout": (
        ["Checkout was quick this time, address was remembered.", "Guest checkout worked fine, thanks!"],
        ['Shipping was "free" until the very last step.\nThen 6,90 € appeared. Cancelled.',
         "Why do I need an account just to pay? I left and bought elsewhere.",
         "The address form kept rejecting my postcode, so frustrating.",
         "Versandkosten erst ganz am Ende, das ist ärgerlich und unehrlich.",
         "Too many steps, and the voucher code field is hidden.\n\nGave up after ten minutes."],
    ),
    "payment": (
        ["Paying with PayPal was easy.", "Apple Pay went through in seconds."],
        ["Card payment failed twice at the bank check, terrible experience.",
         "The payment page timed out on my phone and I lost the cart."],
    ),
    "product_page": (
        ["Great photos and a clear size chart.", "Good product descriptions, I knew exactly what I got."],
        ["No delivery date on the product page, annoying."],
    ),
    "delivery": (
        ["Arrived a day early, well packed. Great!", "Fast delivery, the driver was friendly.",
         "Super schnelle Lieferung, alles bestens."],
        ["The parcel was left at a neighbour's without a note."],
    ),
    "returns": (
        ["Return was refunded within a week, fine."],
        ["I had to print a return label, but I don't own a printer.",
         'Returning the wrong size took three emails, "easy returns" my foot.'],
    ),
    "support": (
        ["The chat agent sorted my problem out in five minutes, excellent."],
        ["Waited 40 minutes in the chat queue, awful."],
    ),
}
NEGATIVE_ODDS = {"checkout": 0.8, "payment": 0.4, "product_page": 0.2, "delivery": 0.15, "returns": 0.6,
                 "support": 0.4}


def weighted(rng: random.Random, options: list[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], [w for _, w in options])[0]


def customer_events(rng: random.Random, segment: str) -> list[tuple[datetime, str]]:
    t = datetime(2026, 4, 1, 6, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
    events: list[tuple[datetime, str]] = []

    def add(name: str, minutes: float) -> None:
        nonlocal t
        t += timedelta(minutes=minutes)
        events.append((t, name))

    add(weighted(rng, [("search_click", 0.5), ("social_ad_click", 0.3), ("newsletter_click", 0.2)]), 0)
    if rng.random() < 0.18:  # bounced after the first click
        return events
    if rng.random() < 0.5:
        add("site_search", rng.uniform(0.2, 2))
    for _ in range(rng.choice([1, 1, 2, 3])):
        add("product_view", rng.uniform(0.3, 4))
    if rng.random() < 0.35:
        add("review_read", rng.uniform(0.5, 3))
    if rng.random() < 0.32:  # left while choosing
        return events
    add("add_to_cart", rng.uniform(0.2, 2))
    if rng.random() < 0.2:  # abandoned the cart
        return events
    add("checkout_start", rng.uniform(0.5, 30))
    add("checkout_address", rng.uniform(0.5, 3))
    leaves = 0.5 if segment == "deal_seeker" else 0.36  # shipping cost surprise hits deal seekers hardest
    if rng.random() < 0.35:
        return events  # gave up at the address form (account required)
    add("checkout_shipping", rng.uniform(0.3, 2))
    if rng.random() < leaves * 0.45:
        return events  # gave up when the shipping cost appeared
    add("payment_submit", rng.uniform(0.3, 2))
    if rng.random() < 0.12:
        add("payment_failed", rng.uniform(0.1, 1))
        if rng.random() < 0.35:
            return events
        add("payment_submit", rng.uniform(0.5, 3))
    add("order_confirmed", rng.uniform(0.05, 0.5))
    if rng.random() < 0.6:
        add("tracking_view", rng.uniform(12, 40) * 60)
    if rng.random() < 0.97:
        add("delivered", rng.uniform(24, 70) * 60)
        if rng.random() < 0.12:
            add("support_chat", rng.uniform(2, 72) * 60)
        if rng.random() < (0.3 if segment == "busy_parent" else 0.12):
            add("return_started", rng.uniform(12, 200) * 60)
    return events


def main() -> None:
    rng = random.Random(20260401)
    HERE.mkdir(parents=True, exist_ok=True)
    events, survey, verbatims = [], [], []
    for i in range(1, CUSTOMERS + 1):
        cid = f"NW{i:06d}"
        segment = weighted(rng, SEGMENTS)
        evs = customer_events(rng, segment)
        events += [{"customer_id": cid, "timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "event": name,
                    "channel": CHANNEL[name], "segment": segment} for t, name in evs]
        names = [name for _, name in evs]
        when = (evs[-1][0] + timedelta(hours=rng.uniform(1, 48))).strftime("%Y-%m-%dT%H:%M:%SZ")

        def ask(tp: str, question: str, score: int, cid: str = cid, segment: str = segment, when: str = when) -> None:
            survey.append({"respondent_id": cid, "timestamp": when, "touchpoint": tp, "question": question,
                           "score": score, "segment": segment})

        def clamp(x: float, lo: int, hi: int) -> int:
            return max(lo, min(hi, round(x)))

        ordered = "order_confirmed" in names
        if "checkout_start" in names and rng.random() < (0.35 if ordered else 0.25):
            ask("checkout", "csat", clamp(rng.gauss(3.3 if ordered else 2.2, 1.0), 1, 5))
            if "product_view" in names:
                ask("product_page", "csat", clamp(rng.gauss(4.1, 0.8), 1, 5))
            if "payment_submit" in names:
                ask("payment", "ces", clamp(rng.gauss(5.2 if "payment_failed" in names else 3.6, 1.1), 1, 7))
            if "delivered" in names:
                ask("delivery", "csat", clamp(rng.gauss(4.4, 0.7), 1, 5))
                ask("delivery", "nps", clamp(rng.gauss(7.3, 2.1), 0, 10))
            if "return_started" in names:
                ask("returns", "csat", clamp(rng.gauss(3.1, 1.1), 1, 5))
            candidates = [tp for tp, event in (("checkout", "checkout_start"), ("payment", "payment_submit"),
                                               ("product_page", "product_view"), ("delivery", "delivered"),
                                               ("returns", "return_started"), ("support", "support_chat"))
                          if event in names]
            if rng.random() < 0.55:
                tp = rng.choice(candidates)
                pos, neg = VERBATIMS[tp]
                text = rng.choice(neg if rng.random() < NEGATIVE_ODDS[tp] or not pos else pos)
                verbatims.append({"id": f"FB-{len(verbatims) + 1:05d}", "respondent_id": cid, "timestamp": when,
                                  "touchpoint": tp, "text": text})
    events.sort(key=lambda r: (r["timestamp"], r["customer_id"]))
    outputs = (("events", events, "utf-8"), ("survey", survey, "utf-8"), ("verbatims", verbatims, "utf-8-sig"))
    for name, rows, encoding in outputs:
        with open(HERE / f"{name}.csv", "w", encoding=encoding, newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"{name}.csv: {len(rows)} rows")


if __name__ == "__main__":
    main()
