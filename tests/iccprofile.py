"""The output-intent profile shipped in pipeline/formats/data, made from ArgyllCMS's 16-bit one.

    python tests/iccprofile.py      # rewrites pipeline/formats/data/FOGRA39L-bulletin.icc

colprof writes its tables as lut16Type (mft2): 512-entry 16-bit shaper curves around 16-bit
grids, 28 KB (23 KB deflated), most of a small PDF's overhead. The same tables as lut8Type
(mft1, ICC.1:2001-04 §6.5.8: 256-entry 8-bit curves, 8-bit grid of the same points) make an
11 KB profile (6 KB deflated) within 1.5 ΔE of the 16-bit one (tests/test_pdfa.py measures it
with littleCMS). Every other tag is kept as it is. tests/test_pdfa.py checks that this script
gives the shipped bytes, so the profile is always reproducible from tests/profiles/.
"""

from __future__ import annotations

import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "profiles" / "FOGRA39L-colprof.icc"
TARGET = HERE.parent / "pipeline" / "formats" / "data" / "FOGRA39L-bulletin.icc"


def _interpolate(table: list[int], u: float) -> float:
    """A 16-bit curve or grid axis read at u in [0, 1], linearly between its entries."""
    x = min(max(u, 0.0), 1.0) * (len(table) - 1)
    k = min(int(x), len(table) - 2)
    return table[k] + (table[k + 1] - table[k]) * (x - k)


def _byte(value: float) -> int:
    return min(255, max(0, round(value)))


def lut16_to_lut8(tag: bytes, pcs_in: bool, pcs_out: bool) -> bytes:
    """One mft2 tag as mft1. Lab PCS is encoded 8-bit as L·255/100, a+128, b+128, the legacy
    16-bit encoding as 256 times that; device values as 0–255 against 0–65535."""
    inputs, outputs, grid = tag[8], tag[9], tag[10]
    entries_in, entries_out = struct.unpack(">HH", tag[48:52])
    at = 52

    def take(count: int) -> list[int]:
        nonlocal at
        values = list(struct.unpack(f">{count}H", tag[at : at + 2 * count]))
        at += 2 * count
        return values

    curves_in = [take(entries_in) for _ in range(inputs)]
    clut = take(grid**inputs * outputs)
    curves_out = [take(entries_out) for _ in range(outputs)]

    def read_at(byte: int) -> float:  # the 16-bit input that the 8-bit input `byte` stands for
        return byte * 256 / 65535 if pcs_in else byte / 255

    out_scale = 256 if pcs_out else 257
    new_in = [_byte(_interpolate(c, read_at(x)) / 257) for c in curves_in for x in range(256)]
    new_clut = [_byte(v / 257) for v in clut]
    new_out = [_byte(_interpolate(c, x / 255) / out_scale) for c in curves_out for x in range(256)]
    head = b"mft1\0\0\0\0" + bytes([inputs, outputs, grid, 0]) + tag[12:48]
    return head + bytes(new_in + new_clut + new_out)


def small_profile(source: bytes) -> bytes:
    """The profile with each lut16 table as lut8, the tag table rewritten, shared tags kept
    shared, the profile ID zero (ICC v2)."""
    assert source[16:24] == b"CMYKLab ", "a CMYK profile with a Lab PCS"
    count = int.from_bytes(source[128:132], "big")
    entries = [
        (source[at : at + 4], *struct.unpack(">II", source[at + 4 : at + 12]))
        for at in range(132, 132 + 12 * count, 12)
    ]
    data: dict[int, bytes] = {}
    for signature, offset, size in entries:
        if offset in data:
            continue
        tag = source[offset : offset + size]
        if tag[:4] == b"mft2":
            from_pcs = signature.startswith(b"B2A") or signature == b"gamt"
            tag = lut16_to_lut8(tag, pcs_in=from_pcs, pcs_out=signature.startswith(b"A2B"))
        data[offset] = tag
    body = bytearray()
    start = 132 + 12 * count
    placed: dict[int, tuple[int, int]] = {}
    for offset, tag in data.items():
        body += bytes(-(start + len(body)) % 4)  # tags start on 4-byte boundaries
        placed[offset] = (start + len(body), len(tag))
        body += tag
    table = struct.pack(">I", count) + b"".join(
        signature + struct.pack(">II", *placed[offset]) for signature, offset, _ in entries
    )
    profile = bytearray(source[:128]) + table + body
    profile[0:4] = struct.pack(">I", len(profile))
    profile[84:100] = bytes(16)
    return bytes(profile)


if __name__ == "__main__":
    TARGET.write_bytes(small_profile(SOURCE.read_bytes()))
    print(f"{TARGET}: {TARGET.stat().st_size} bytes")
