"""How many phones the room holds: N participants at once against `jmapkit serve`, over HTTP on 127.0.0.1.

Each participant opens its own connection (as a phone does), then — all at the same moment — loads the
page and the state, sends 10 vote requests (one face each, some replacing an earlier vote) and 2 notes,
one request after the other. Printed per N: p50 / p90 / max latency of the page and of each API call,
the server's peak RSS (VmHWM), and what was lost: the votes file and /api/tally are compared with what
was sent (each device's last vote per touchpoint, computed here independently).

    .venv/bin/python benchmarks/bench_room.py                 # N = 50 and 200
    .venv/bin/python benchmarks/bench_room.py --sizes 50 --repeat 3

The client is a few lines of asyncio HTTP/1.1 (no client library), so that on this 2-core machine the
load generator costs as little CPU as possible next to the server it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOKEN, FACILITATOR = "bench-participant", "bench-facilitator-0123456789"
TIMEOUT = 300  # seconds for one run, whatever N: a stuck server must not hang the benchmark


class Connection:
    """One keep-alive HTTP/1.1 connection; `request` returns (status, body bytes on the wire)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def request(self, method: str, path: str, payload: object = None) -> tuple[int, bytes]:
        body = b"" if payload is None else json.dumps(payload).encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: room\r\nAccept-Encoding: gzip\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            data = b""
            while size := int((await self.reader.readline()).strip(), 16):
                data += await self.reader.readexactly(size)
                await self.reader.readline()
            await self.reader.readline()
            return status, data
        return status, await self.reader.readexactly(int(headers.get("content-length", 0)))

    def close(self) -> None:
        self.writer.close()


async def participant(i: int, port: int, touchpoints: list[str], go: asyncio.Event,
                      times: dict[str, list[float]], sent: list[tuple[str, str, int]], failures: Counter,
                      page_bytes: list[int]) -> None:
    conn = await Connection.open(port)
    device = f"bench-device-{i:05d}"
    q = f"?token={TOKEN}"
    await go.wait()

    async def timed(kind: str, method: str, path: str, payload: object = None) -> bytes:
        start = time.perf_counter()
        status, body = await conn.request(method, path, payload)
        times[kind].append(time.perf_counter() - start)
        if status != 200:
            failures[(kind, status)] += 1
        return body

    page_bytes.append(len(await timed("page", "GET", "/" + q)))
    await timed("state", "GET", "/api/state" + q)
    for k in range(10):
        tp, value = touchpoints[(i + k) % 6], (i + 2 * k) % 5 - 2  # six touchpoints: four votes replace one
        await timed("vote", "POST", "/api/votes" + q, {"device": device, "participant": None, "votes": {tp: value}})
        sent.append((device, tp, value))
    for k in range(2):
        await timed("note", "POST", "/api/notes" + q, {"device": device, "participant": f"P{i}",
                                                        "touchpoint": touchpoints[k], "kind": "idea",
                                                        "text": f"note {k} from participant {i}"})
    conn.close()


def expected_tally(sent: list[tuple[str, str, int]]) -> dict[str, tuple[int, Counter]]:
    last = {}
    for device, tp, value in sent:
        last[(device, tp)] = value
    out: dict[str, tuple[int, Counter]] = {}
    for (_, tp), value in last.items():
        n, counts = out.get(tp, (0, Counter()))
        counts[value] += 1
        out[tp] = (n + 1, counts)
    return out


def start_server(workshop: Path) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen(
        [sys.executable, "-m", "jmapkit", "serve", str(workshop), "--ip", "127.0.0.1", "--port", "0",
         "--token", TOKEN, "--facilitator-token", FACILITATOR],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.stdout.readline()  # type: ignore[union-attr]
        if "/?token=" in line:
            return server, int(line.strip().split(":")[2].split("/")[0])
        if not line:
            break
    server.kill()
    raise SystemExit("jmapkit serve did not print its participant link")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def one_run(n: int, port: int, touchpoints: list[str]) -> dict:
    times: dict[str, list[float]] = {k: [] for k in ("page", "state", "vote", "note")}
    sent: list[tuple[str, str, int]] = []
    failures: Counter = Counter()
    page_bytes: list[int] = []
    go = asyncio.Event()
    tasks = [asyncio.create_task(participant(i, port, touchpoints, go, times, sent, failures, page_bytes))
             for i in range(n)]
    await asyncio.sleep(0.5)  # every phone has its connection open: then all start at once
    start = time.perf_counter()
    go.set()
    await asyncio.wait_for(asyncio.gather(*tasks), TIMEOUT)
    return {"times": times, "sent": sent, "failures": failures, "wall": time.perf_counter() - start,
            "page_bytes": max(page_bytes)}


async def api_get(port: int, path: str) -> dict:
    conn = await Connection.open(port)
    status, body = await conn.request("GET", path)
    conn.close()
    assert status == 200, status
    return json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)


def run(n: int) -> dict:
    sys.path.insert(0, str(REPO))
    from jmapkit.store import new_workshop

    with tempfile.TemporaryDirectory() as tmp:
        ws = new_workshop(Path(tmp) / "room", template="restaurant")
        touchpoints = [t.id for t in ws.load(3).touchpoints if t.layer == "frontstage"]
        server, port = start_server(ws.root)
        try:
            result = asyncio.run(one_run(n, port, touchpoints))
            tally = asyncio.run(api_get(port, f"/api/tally?token={TOKEN}"))
            notes = asyncio.run(api_get(port, f"/api/notes?token={TOKEN}"))
            result["rss"] = peak_rss_mb(server.pid)
        finally:
            server.terminate()
            server.wait(30)
            server.stdout.close()  # type: ignore[union-attr]
        in_file = [json.loads(line) for line in ws.path("votes", "emotion.jsonl").read_text().splitlines()]
    sent = result["sent"]
    file_votes = Counter((r["device"], r["touchpoint"], r["emotion"]) for r in in_file)
    result["lost_file"] = sum((Counter(sent) - file_votes).values())
    want = expected_tally(sent)
    got = {row["touchpoint"]: row for row in tally["touchpoints"]}
    result["tally_wrong"] = sorted(
        tp for tp in touchpoints
        if (got[tp]["n"], {int(k): v for k, v in got[tp]["counts"].items() if v})
        != (want.get(tp, (0, Counter()))[0], dict(want.get(tp, (0, Counter()))[1]))
    )
    result["notes"] = len(notes["notes"])
    return result


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200], help="participants at once")
    parser.add_argument("--repeat", type=int, default=1, help="runs per size (a new server and workshop each)")
    args = parser.parse_args()
    print("| N | call | requests | p50 ms | p90 ms | max ms |")
    print("|---|---|---|---|---|---|")
    summaries = []
    for n in args.sizes:
        for _ in range(args.repeat):
            r = run(n)
            for kind, values in r["times"].items():
                print(f"| {n} | {kind} | {len(values)} | {1000 * statistics.median(values):.0f} | "
                      f"{1000 * pct(values, 0.9):.0f} | {1000 * max(values):.0f} |")
            summaries.append((n, r))
    print()
    print("| N | all done in s | server peak RSS MB | page bytes (gzip) | votes sent | lost in file | "
          "tally wrong | notes kept | refused |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, r in summaries:
        refused = ", ".join(f"{k} {s}: {c}" for (k, s), c in sorted(r["failures"].items())) or "0"
        print(f"| {n} | {r['wall']:.2f} | {r['rss']:.0f} | {r['page_bytes']:,} | {len(r['sent'])} | {r['lost_file']} | "
              f"{len(r['tally_wrong'])} | {r['notes']} / {2 * n} | {refused} |")


if __name__ == "__main__":
    main()
