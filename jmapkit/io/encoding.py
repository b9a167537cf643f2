"""Which encoding a text file is in, and turning it into the UTF-8 DuckDB reads.

UTF-8 (with or without a BOM) and UTF-16 with a BOM are known at once; anything else is detected
with charset-normalizer among the code pages that exports really use. Compressed files (.gz, .zst)
are read through a decompressing stream, so nothing here needs them unpacked first.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import BinaryIO

from jmapkit import i18n
from jmapkit.errors import DataFileError

SNIFF = 1 << 20  # bytes looked at to detect the encoding
COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
# What spreadsheet and survey tools really write when they do not write UTF-8: Windows "ANSI" code pages
# (supersets of latin-1, EUC-KR, Shift-JIS, GBK), most common first. Detection is limited to these, so a
# short German export is not taken for a DOS or Baltic code page that decodes the same bytes differently.
EXPORT_ENCODINGS = ("cp1252", "cp932", "cp949", "gb18030", "big5", "cp1250", "cp1251", "cp1253", "cp1254",
                    "cp1257", "cp1255", "cp1256", "cp874", "cp1258", "euc_jp", "koi8_r")
UTF16 = ("utf-16", "utf-16-le", "utf-16-be")


def compression(path: Path) -> str | None:
    """'gzip' or 'zstd' for a compressed file (by its last suffix), else None."""
    return COMPRESSIONS.get(path.suffix.lower())


def open_bytes(path: Path) -> BinaryIO:
    """The file's bytes, decompressed on the fly when it is .gz or .zst."""
    kind = compression(path)
    if kind is None:
        return path.open("rb")
    import pyarrow as pa

    return pa.input_stream(str(path), compression=kind)  # type: ignore[return-value]


def sample(path: Path) -> bytes:
    """The first SNIFF bytes of the (decompressed) file; a broken archive is a DataFileError."""
    try:
        with open_bytes(path) as f:
            return f.read(SNIFF)
    except (OSError, EOFError) as exc:
        raise DataFileError(f"could not be decompressed as {compression(path)}: {exc}", where=str(path),
                            fix="download or export the file again; or unpack it and pass the .csv.") from None


def choose(path: Path, head: bytes, encoding: str | None) -> tuple[str, str, bool]:
    """The codec to decode with, the encoding to report, and whether it was detected."""
    detected = encoding is None
    if encoding is None:
        encoding = detect(head)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        fix = i18n._("use a Python codec name such as 'utf-8', 'cp949', 'cp932' or 'cp1252'.")
        raise DataFileError(i18n._("unknown encoding {encoding}.").format(encoding=repr(encoding)), where=str(path),
                            fix=fix) from None
    bom = head.startswith(codecs.BOM_UTF8)
    if codec == "utf-8" and not bom:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if not cut_in_half(exc, head):
                raise DataFileError(i18n._("is not valid {codec} text ({reason} at byte {byte}).").format(
                    codec="utf-8", reason=exc.reason, byte=exc.start), where=str(path),
                    fix=i18n._("pass the file's encoding, e.g. encoding='cp949' or 'cp1252'.")) from None
        return "utf-8", "utf-8", detected
    if codec == "utf-8":
        # utf-8-sig drops the BOM, so it never ends up in the first column's name.
        return "utf-8-sig", "utf-8-sig", detected
    if codec in UTF16 and (head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE)):
        return "utf-16", "utf-16", detected  # the BOM says which byte order, and is dropped
    return codec, codec, detected


def transcode(path: Path, codec: str, target: Path) -> None:
    """Stream the file (decompressed) into UTF-8: DuckDB reads UTF-8 only without downloading an extension."""
    import io

    try:
        with open_bytes(path) as raw, io.TextIOWrapper(raw, encoding=codec, newline="") as src, \
                target.open("w", encoding="utf-8", newline="") as dst:
            for chunk in iter(lambda: src.read(1 << 20), ""):
                dst.write(chunk)
    except UnicodeDecodeError as exc:
        raise DataFileError(i18n._("is not valid {codec} text ({reason} at byte {byte}).").format(
            codec=codec, reason=exc.reason, byte=exc.start), where=str(path),
            fix=i18n._("pass the right encoding, e.g. encoding='cp949'.")) from None


def cut_in_half(exc: UnicodeDecodeError, head: bytes) -> bool:
    """The sample ended inside a multi-byte character: not a decoding error of the file."""
    return exc.start > len(head) - 4 and len(head) == SNIFF


def detect(head: bytes) -> str:
    """The encoding of a file that starts with `head`: by its BOM, as UTF-8, or charset-normalizer's best."""
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                      (codecs.BOM_UTF16_BE, "utf-16")):  # Excel's "Unicode text" is UTF-16 with a BOM
        if head.startswith(bom):
            return name
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if cut_in_half(exc, head):
            return "utf-8"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(head, cp_isolation=list(EXPORT_ENCODINGS)))
    if not matches:
        return "cp1252"
    # Candidates that read the sample equally well (a tie on both of charset-normalizer's measures, or
    # decoding it to the same text) are told apart by how common the encoding is, not by list order.
    best = matches[0]
    tied = {name for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)
            for name in (m.encoding, *m.could_be_from_charset)}
    return next((name for name in EXPORT_ENCODINGS if name in tied), best.encoding)
