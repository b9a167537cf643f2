"""Build the input corpus: small files that do what real exports do, one case each.

Run it from anywhere (`python tests/data/inputs/make_inputs.py`); it rewrites the files beside it.
tests/test_inputs.py holds what each file must read as, or the message it must be refused with,
written by hand from the lines below (or, for the generated text, read with Python's csv module).

Touchpoint names are the restaurant template's, so every events file maps in step 3.
"""

from __future__ import annotations

import csv
import gzip
import io
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOUCHPOINTS = ["instagram", "maps_listing", "web_menu", "reviews", "queue", "order_counter", "payment",
               "food_served", "return_visit", "review_site"]
# Free text as a feedback form collects it: separators, quotes and line breaks inside the answers.
# (With these, DuckDB 1.4's parallel reader refuses the file when it sniffs the delimiter itself.)
CHINESE = ["很好吃", "服务很慢", "太贵了", "环境不错", "味道一般", "等了很久", "服务员很热情", "价格合理", "不推荐",
           "非常满意", "菜品新鲜", "上菜太慢", "排队太久", "位置方便", "分量很足", "不太干净", "会再来的", "一般般",
           "推荐给朋友", "性价比高", "太吵了"]
PHRASES = ["good", "bad; really", "slow", "nice, friendly", 'said "wow"', "line\nbreak", "ok"]


def write(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def feedback_rows(n: int) -> list[list[str]]:
    """n verbatims with a fixed seed: id, touchpoint, text (1-8 phrases joined by spaces)."""
    rng = random.Random(1)
    return [[f"FB-{i:05d}", rng.choice(TOUCHPOINTS), " ".join(rng.choice(PHRASES) for _ in range(rng.randint(1, 8)))]
            for i in range(1, n + 1)]


def csv_text(header: list[str], rows: list[list[str]], **kwargs: str) -> str:
    out = io.StringIO(newline="")
    writer = csv.writer(out, **kwargs)  # type: ignore[arg-type]
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def events_rows(n: int) -> list[list[str]]:
    """n events of n // 4 customers walking the restaurant's journey, one hour apart."""
    return [[f"C{i // 4:03d}", f"2026-03-{1 + i // 96:02d}T{(i // 4) % 24:02d}:{(i % 4) * 10:02d}:00Z",
             TOUCHPOINTS[(i % 4) * 2]] for i in range(n)]


def main() -> None:
    # 1. Comma CSV from a feedback tool: quoted answers hold ';', ',', '""' and line breaks (2,000 rows).
    write("verbatims_quoted_newlines.csv", csv_text(["id", "touchpoint", "text"], feedback_rows(2000)).encode())
    # 2. An export that came out with its header only.
    write("events_header_only.csv", b"customer_id,timestamp,touchpoint\r\n")
    # 3. The same export concatenated twice by hand, header removed from the second copy.
    rows = events_rows(12)
    write("events_duplicates.csv", csv_text(["customer_id", "timestamp", "touchpoint"], rows + rows[:5]).encode())
    # 4. Survey with every kind of problem at once: n/a, out of range, a missing column (respondent).
    write("survey_problems.csv", (
        b"respondent,touchpoint,question,score\n"
        b"R1,queue,nps,9\nR2,queue,nps,n/a\nR3,queue,nps,11\nR4,payment,csat,0\nR5,payment,csat,6\n"
        b"R6,payment,ces,2.5\nR7,payment,nps,-1\n"))
    # 5. CES averaged by the survey tool (2.5): kept, with a warning.
    write("survey_ces_averaged.csv", (
        b"respondent_id,touchpoint,question,score\nR1,payment,ces,2.5\nR2,payment,ces,3\nR3,payment,ces,6\n"))
    # 6. 21 short Chinese reviews, no lang column.
    write("verbatims_chinese.csv", csv_text(["id", "text"], [[f"Z{i}", t] for i, t in enumerate(CHINESE, 1)])
          .encode("utf-8"))
    # 7. Large exports ship compressed: the same events as .csv.gz and .csv.zst.
    plain = csv_text(["customer_id", "timestamp", "touchpoint"], events_rows(40)).encode()
    write("events.csv.gz", gzip.compress(plain, mtime=0))
    import pyarrow as pa

    with pa.output_stream(str(HERE / "events.csv.zst"), compression="zstd") as f:
        f.write(plain)
    # 8. Excel's "Unicode text" export: UTF-16 LE with a BOM, tab-separated, CRLF.
    write("survey_excel_unicode.txt", ("Respondent ID\tTouchpoint\tQuestion\tScore\r\n"
                                       "R1\tqueue\tCSAT\t4\r\nR2\tpayment\tCSAT\t5\r\nR3\tqueue\tNPS\t10\r\n")
          .encode("utf-16"))
    # 9. CRLF and a trailing delimiter on every line (some BI tools).
    write("events_crlf_trailing.csv", b"customer_id;timestamp;touchpoint;\r\nC1;2026-03-01 09:00;queue;\r\n"
                                      b"C1;2026-03-01 09:20;payment;\r\nC2;2026-03-02 12:00;instagram;\r\n")
    # 10. Thousands separators, quoted numbers, mixed-case headers.
    write("events_thousands.csv", (
        b'Customer ID,TimeStamp,TOUCHPOINT,Value\r\nC1,2026-03-01T09:00:00Z,payment,"1,234.50"\r\n'
        b'C2,2026-03-01T10:00:00Z,payment,"12,000"\r\nC3,2026-03-01T11:00:00Z,payment,"7.25"\r\n'))
    # 11. German Excel: cp1252, ';', decimal comma with '.' grouping, day-first dates, umlauts.
    write("events_german.csv", (
        "customer_id;timestamp;touchpoint;channel;value\r\n"
        "K1;31.01.2026 14:05;payment;Kasse für Gäste;1.234,50\r\nK2;01.02.2026 09:00;queue;Straße;2,5\r\n"
        "K3;02.02.2026 18:30;payment;Kasse für Gäste;3\r\nK4;03.02.2026 12:00;queue;Straße;0,75\r\n"
    ).encode("cp1252"))
    # 12. Korean (cp949) and Japanese (Shift-JIS) verbatims from local Excel.
    write("verbatims_korean_cp949.csv",
          "id,text\r\nK1,주문 대기 시간이 너무 길었어요.\r\nK2,직원분들이 정말 친절했습니다!\r\n".encode("cp949"))
    write("verbatims_japanese_sjis.csv",
          "id,text\r\nJ1,注文の待ち時間が長すぎました。\r\nJ2,店員さんがとても親切でした！\r\n".encode("shift_jis"))
    # 13. Excel's delimiter hint on the first line.
    write("events_sep_line.csv", b"sep=;\r\ncustomer_id;timestamp;touchpoint\r\nC1;2026-03-01 09:00;queue\r\n"
                                 b"C2;2026-03-01 09:05;payment\r\n")
    # 14. A title row above the header, then a blank row (a report exported as CSV).
    write("events_title_row.csv", b"Touchpoint events, March 2026\r\n\r\ncustomer_id,timestamp,touchpoint\r\n"
                                  b"C1,2026-03-01 09:00,queue\r\nC2,2026-03-01 09:05,payment\r\n")
    # 15. A quote that never closes.
    write("verbatims_unterminated_quote.csv", b'id,text\nV1,fine\nV2,"we waited\nV3,ok\nV4,good\n')
    # 16. A text with the delimiter but no quotes: one value too many on that row.
    write("verbatims_unquoted_delimiter.csv", b"id,text\nV1,fine\nV2,slow, and cold\nV3,ok\n")
    # 17. Every number fits both marks: 1,500 is fifteen hundred or one and a half.
    write("events_ambiguous_decimal.csv", b"customer_id,timestamp,touchpoint,value\nC1,2026-03-01,payment,\"1,500\"\n"
                                          b"C2,2026-03-02,payment,12\n")
    # 18. Day-first or month-first? Every date fits both.
    write("events_ambiguous_dates.csv", b"customer_id,timestamp,touchpoint\nC1,03/04/2026 10:00,queue\n"
                                        b"C2,05/04/2026 11:00,payment\n")
    # 19. Raw event names none of which step 3 maps.
    write("events_unmapped.csv", b"customer_id,timestamp,event\nC1,2026-03-01 09:00,page_view\n"
                                 b"C1,2026-03-01 09:05,add_to_cart\nC2,2026-03-02 10:00,page_view\n")
    # 20. Excel: a title row above the header; and a workbook whose first sheet is empty.
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    sheet.append(["Customer survey, Q1 2026"])
    sheet.append([])
    sheet.append(["Respondent ID", "Touchpoint", "Question", "Score"])
    for row in (["R1", "queue", "csat", 4], ["R2", "payment", "csat", 2], ["R3", "queue", "nps", 9]):
        sheet.append(row)
    _save(book, "survey_title_row.xlsx")
    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    data = book.create_sheet("Feedback")
    data.append(["id", "text"])
    data.append(["V1", "Great tacos!"])
    _save(book, "verbatims_empty_first_sheet.xlsx")


def _save(book: object, name: str) -> None:
    """Save a workbook with fixed timestamps, so the bytes do not change from run to run."""
    from datetime import datetime

    props = book.properties  # type: ignore[attr-defined]
    props.created = props.modified = datetime(2026, 1, 1)
    book.save(HERE / name)  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
