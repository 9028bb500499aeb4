"""Font discovery: names read from font files, refusals, tiers (fonts/, system, bundled), cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import write
from fontmaker import MadeFonts, rename, subset_font

import pipeline.fonts.find as fontfind
from pipeline.fonts.chains import BUNDLED_DIR, CFF_REASON, FontLibrary, licence_refusal
from pipeline.fonts.find import ScanningCatalog, scan_file
from pipeline.fonts.folders import font_entries, font_files, system_font_dirs

pytestmark = pytest.mark.usefixtures("isolated_fonts")


def project_with(root: Path, *fonts: Path) -> Path:
    (root / "fonts").mkdir(parents=True)
    for font in fonts:
        shutil.copy(font, root / "fonts" / font.name)
    return root


def test_scan_reads_chinese_and_english_family_names(made: MadeFonts) -> None:
    [face] = scan_file(made.fangsong_gb2312)
    assert {"仿宋_GB2312", "FangSong_GB2312"} <= set(face.families)
    assert face.refusal == ""


def test_scan_reads_every_face_of_a_collection(made: MadeFonts) -> None:
    faces = scan_file(made.collection)
    assert [f.index for f in faces] == [0, 1]
    assert "黑体" in faces[0].families and "楷体_GB2312" in faces[1].families


def test_scan_refuses_cff_restricted_and_unreadable(made: MadeFonts) -> None:
    [cff] = scan_file(made.cff_heiti)
    assert cff.refusal == CFF_REASON and "黑体" in cff.families
    assert "convert it to TrueType" in cff.hint
    [restricted] = scan_file(made.restricted_title)
    assert restricted.refusal == "its licence forbids embedding (OS/2 fsType 0x0002)"
    [broken] = scan_file(made.broken)
    assert broken.refusal.startswith("cannot read the font file")


@pytest.mark.parametrize(
    ("fs_type", "refused"),
    [
        (0x0000, False),
        (0x0002, True),
        (0x0004, False),
        (0x0008, False),
        (0x0006, False),  # restricted and preview & print: the least restrictive bit applies
        (0x0100, True),
        (0x0200, True),
    ],
)
def test_licence_bits(fs_type: int, refused: bool) -> None:
    assert bool(licence_refusal(fs_type)) is refused


def test_ttc_face_is_chosen_by_name(tmp_path: Path, made: MadeFonts) -> None:
    catalog = ScanningCatalog(project_with(tmp_path, made.collection))
    heiti, kaiti = catalog.find("黑体"), catalog.find("KaiTi_GB2312")
    assert heiti is not None and kaiti is not None
    assert (heiti.path.name, heiti.index, heiti.origin) == ("office.ttc", 0, "fonts/")
    assert (kaiti.path.name, kaiti.index, kaiti.family) == ("office.ttc", 1, "KaiTi_GB2312")
    chains = FontLibrary(catalog).chains({"heading": ["黑体"], "kai": ["楷体_GB2312"]})
    assert chains["heading"].primary.face.index == 0
    assert chains["kai"].primary.face.index == 1
    assert chains["kai"].primary.face.family == "楷体_GB2312"


def test_names_match_ignoring_case_spaces_and_underscores(tmp_path: Path, made: MadeFonts) -> None:
    catalog = ScanningCatalog(project_with(tmp_path, made.fangsong_gb2312))
    for name in ("仿宋_GB2312", "fangsong_gb2312", "FangSong GB2312"):
        face = catalog.find(name)
        assert face is not None and face.origin == "fonts/", name
    assert catalog.find("仿宋") is None  # the file name and other families do not count


def test_refused_faces_are_not_found_but_reported(tmp_path: Path, made: MadeFonts) -> None:
    catalog = ScanningCatalog(project_with(tmp_path, made.cff_heiti, made.restricted_title))
    assert catalog.find("黑体") is None and catalog.find("方正小标宋简体") is None
    [refusal] = catalog.refused("SimHei")
    assert refusal.reason == CFF_REASON and refusal.path.name == "heiti.otf"


def test_fonts_folder_comes_before_system_and_bundled(tmp_path: Path, made: MadeFonts) -> None:
    system = tmp_path / "system"
    system.mkdir()
    shutil.copy(made.fangsong_gb2312, system / "simfang.ttf")
    shutil.copy(made.collection, system / "office.ttc")
    project = project_with(tmp_path / "project", made.fangsong_gb2312)
    catalog = ScanningCatalog(project, system_dirs=[system])
    body = catalog.find("仿宋_GB2312")
    assert body is not None and body.origin == "fonts/"
    heading = catalog.find("SimHei")
    assert heading is not None and heading.origin == "system"
    bundled = catalog.find("Noto Sans SC Medium")
    assert bundled is not None and bundled.origin == "bundled"
    # a chain lists fonts/ faces first, then system ones, then the bundled face and fallbacks
    chain = FontLibrary(catalog).chain("body", ["SimHei", "仿宋_GB2312"])
    assert [f.origin for f in chain.faces][:3] == ["fonts/", "system", "bundled"]
    assert chain.faces[2].family == "FandolFang"
    assert len(chain.faces) == 6


def test_bundled_folder_is_not_scanned(tmp_path: Path, made: MadeFonts) -> None:
    project = project_with(tmp_path)
    (project / "fonts" / "bundled").mkdir()
    shutil.copy(made.fangsong_gb2312, project / "fonts" / "bundled" / "x.ttf")
    assert font_files(project / "fonts", [project / "fonts" / "bundled"]) == []
    assert ScanningCatalog(project).find("仿宋_GB2312") is None


def test_prefers_the_regular_face_of_a_family(tmp_path: Path) -> None:
    project = project_with(tmp_path)
    for weight, source in ((900, "NotoSerifSC_900Black.ttf"), (400, "NotoSerifSC_400Regular.ttf")):
        font = rename(subset_font(source, "测试"), f"测试宋 {weight}", f"TestSong {weight}")
        font["name"].removeNames(nameID=16)
        font["name"].setName("TestSong", 16, 3, 1, 0x409)
        font["OS/2"].usWeightClass = weight
        font.save(project / "fonts" / f"song{weight}.ttf")
    face = ScanningCatalog(project).find("TestSong")
    assert face is not None and face.path.name == "song400.ttf"


def test_scan_results_are_cached_by_size_and_mtime(
    tmp_path: Path, made: MadeFonts, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = project_with(tmp_path / "p", made.fangsong_gb2312)
    cache = tmp_path / "scan.json"
    assert ScanningCatalog(project, cache_file=cache).find("仿宋_GB2312") is not None
    assert cache.exists()

    def no_scan(path: Path) -> list[fontfind.ScannedFace]:
        raise AssertionError(f"scanned {path} again")

    monkeypatch.setattr(fontfind, "scan_file", no_scan)
    assert ScanningCatalog(project, cache_file=cache).find("仿宋_GB2312") is not None
    font = project / "fonts" / made.fangsong_gb2312.name
    stat = font.stat()
    os.utime(font, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with pytest.raises(AssertionError, match="scanned"):
        ScanningCatalog(project, cache_file=cache).find("仿宋_GB2312")


def test_a_damaged_cache_is_ignored(tmp_path: Path, made: MadeFonts) -> None:
    cache = tmp_path / "scan.json"
    cache.write_text("{not json", encoding="utf-8")
    project = project_with(tmp_path / "p", made.fangsong_gb2312)
    assert ScanningCatalog(project, cache_file=cache).find("仿宋_GB2312") is not None


def test_system_folders_are_skipped_on_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ScanningCatalog(tmp_path).system_dirs == []
    monkeypatch.delenv("BULLETIN_NO_SYSTEM_FONTS")
    assert ScanningCatalog(tmp_path).system_dirs == system_font_dirs()
    monkeypatch.setenv("BULLETIN_NO_SYSTEM_FONTS", "0")
    assert ScanningCatalog(tmp_path).system_dirs == system_font_dirs()


def test_a_font_dropped_in_later_is_picked_up(tmp_path: Path, made: MadeFonts) -> None:
    project = project_with(tmp_path)
    library = FontLibrary(ScanningCatalog(project))
    before = library.chains({"body": ["仿宋_GB2312"]})["body"]
    assert before.faces[0].origin == "bundled"
    assert library.chains({"body": ["仿宋_GB2312"]})["body"] is before  # unchanged: kept
    shutil.copy(made.fangsong_gb2312, project / "fonts" / "fs.ttf")
    after = library.chains({"body": ["仿宋_GB2312"]})["body"]
    assert after.faces[0].origin == "fonts/" and after.primary.face.family == "仿宋_GB2312"


def scan_both(path: Path) -> tuple[list[fontfind.ScannedFace], list[fontfind.ScannedFace]]:
    """A file's faces as scan_file reads them (namescan.py first) and as fontTools reads them."""
    return fontfind.scan_file(path), fontfind._scan_with_fonttools(path)


@pytest.mark.parametrize("name", [p.name for p in sorted(BUNDLED_DIR.glob("*.ttf"))])
def test_namescan_reads_the_bundled_fonts_as_fonttools_does(name: str) -> None:
    mine, theirs = scan_both(BUNDLED_DIR / name)
    assert mine == theirs and mine[0].families


def test_namescan_reads_the_test_fonts_as_fonttools_does(made: MadeFonts) -> None:
    for path in (made.fangsong_gb2312, made.collection, made.cff_heiti, made.restricted_title):
        mine, theirs = scan_both(path)
        assert mine == theirs, path
    assert scan_both(made.broken)[0] == scan_both(made.broken)[1]  # fontTools' own refusal


def test_namescan_decodes_names_as_fonttools_does_or_leaves_the_file_to_it(
    tmp_path: Path, made: MadeFonts
) -> None:
    from fontTools.ttLib import TTFont

    from pipeline.fonts import namescan

    records = [
        (1, 0, 15, "Íslenska"),  # Macintosh, Icelandic: mac_iceland
        (1, 0, 0, "\0W\0i\0d\0e"),  # UTF-16 stored as Mac Roman bytes: fontTools narrows it
        (3, 1, 2052, "  仿宋  \0"),  # stripped
        (0, 3, 0, "Unicode"),
    ]
    font = TTFont(str(made.fangsong_gb2312))
    table = font["name"]
    for platform, encoding, language, text in records:
        table.setName(text, 1, platform, encoding, language)
    plain = tmp_path / "names.ttf"
    font.save(str(plain))
    mine, theirs = scan_both(plain)
    assert mine == theirs and "Íslenska" in mine[0].families and "Wide" in mine[0].families

    def fast(path: Path) -> object:
        with path.open("rb") as stream:
            return namescan.read_faces(
                lambda at, size: (stream.seek(at), stream.read(size))[1], (1,), lambda *a: a
            )

    assert fast(plain) is not None  # read by namescan, not by fontTools
    table.setName("シフトJIS", 1, 3, 2, 1041)  # Shift JIS: fontTools decodes it
    odd = tmp_path / "odd.ttf"
    font.save(str(odd))
    assert fast(odd) is None
    mine, theirs = scan_both(odd)
    assert mine == theirs


def _walked(folder: Path, skip: list[Path]) -> list[Path]:
    """font_files as it was written with os.walk: the order and the files font_entries keeps."""
    found: list[Path] = []
    skipped = {p.resolve() for p in skip}
    for here, dirs, files in os.walk(folder):
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and Path(here, d).resolve() not in skipped
        )
        found += (
            Path(here, f)
            for f in sorted(files)
            if not f.startswith(".") and Path(f).suffix.lower() in {".ttf", ".ttc", ".otf", ".otc"}
        )
    return found


def test_font_entries_list_what_os_walk_lists_with_each_files_stat(tmp_path: Path) -> None:
    """Same files in the same order (hidden, skipped and linked folders left out, suffixes in
    any case), each with the size and mtime its own stat gives."""
    root = tmp_path / "fonts"
    for name in ("b.ttf", "A.TTC", "c.otf", "note.txt", ".hidden.ttf", "z/x.ttf", "z/y/w.otc",
                 "a/m.OTF", ".git/h.ttf", "bundled/skip.ttf", "b2/k.ttf"):  # fmt: skip
        write(root / name, name * 3)
    (root / "linked").symlink_to(root / "a", target_is_directory=True)
    (root / "gone.ttf").symlink_to(root / "nowhere.ttf")
    skip = [root / "bundled"]
    entries = font_entries(root, skip)
    assert [path for path, _ in entries] == _walked(root, skip) == font_files(root, skip)
    assert [path.relative_to(root).as_posix() for path, _ in entries] == [
        "A.TTC", "b.ttf", "c.otf", "gone.ttf", "a/m.OTF", "b2/k.ttf", "z/x.ttf", "z/y/w.otc",
    ]  # fmt: skip
    for path, stat in entries:
        if path.name == "gone.ttf":
            assert stat is None
        else:
            assert stat == (path.stat().st_size, path.stat().st_mtime_ns)
    assert font_entries(tmp_path / "none") == []
