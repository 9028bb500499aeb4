"""What the package sets up at its first import: kept dataclass code and reportlab without PIL."""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import json
import marshal
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, Built

from pipeline import startup
from pipeline.build import Builder


def _run(code: str, *args: object, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run Python code in a new process; the JSON object its last line prints."""
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    found: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


_BUILD = """
import hashlib, json, sys
from pathlib import Path
# As in a Python whose site imports neither (a .pth file of some installs imports tempfile):
for name in ("inspect", "tempfile"):
    sys.modules.pop(name, None)
import pipeline.startup
from pipeline.build import Builder
result = Builder(Path(sys.argv[1]), Path(sys.argv[2])).build(Path(sys.argv[3]))
print(json.dumps({
    "sha256": hashlib.sha256(result.pdf.read_bytes()).hexdigest(),
    "pil_image": "PIL.Image" in sys.modules,
    "unused": sorted(m for m in ("inspect", "tempfile") if m in sys.modules),
    "safe_eval": type(sys.modules["reportlab.lib.rl_safe_eval"]).__name__,
    "compiled": pipeline.startup.DATACLASS_CODE.compiled,
    "regexes_compiled": pipeline.startup.REGEX_CODE.compiled,
}))
"""


def test_a_build_without_photos_never_imports_pil_image(
    samples: dict[str, Built], tmp_path: Path
) -> None:
    """reportlab is loaded with the stand-in; nothing of PIL.Image is used; the same bytes."""
    source = samples["2024-14"].source
    found = _run(_BUILD, ROOT, tmp_path, source, env=_env(tmp_path / "cache"))
    assert found["pil_image"] is False
    assert found["safe_eval"] == "SafeEvalOnFirstUse"
    # Into another folder, so that it is drawn again (not the first build's file in place).
    again = _run(_BUILD, ROOT, tmp_path / "again", source, env=_env(tmp_path / "cache"))
    assert again["compiled"] == 0  # every generated method of a build is kept
    assert again["regexes_compiled"] == 0  # and every pattern it compiles
    assert again["unused"] == []  # with the template's code kept, jinja2 is not imported either
    assert found["sha256"] == hashlib.sha256(samples["2024-14"].result.pdf.read_bytes()).hexdigest()


def test_a_build_with_photos_loads_pil_and_draws_them(tmp_path: Path) -> None:
    """The photo sample, built in a new process (stand-in in place) and in a fresh Builder here
    with PIL.Image long imported, gives the same bytes."""
    source = ROOT / "issues" / "work-bulletin" / "2024-15.toml"
    found = _run(_BUILD, ROOT, tmp_path / "new", source)
    assert found["pil_image"] is True
    here = Builder(ROOT, tmp_path / "here").build(source)
    assert found["sha256"] == hashlib.sha256(here.pdf.read_bytes()).hexdigest()


_STAND_IN = """
import copy, json, sys
import pipeline.startup
import reportlab.lib.utils as utils
before = type(utils.Image).__name__
loader = utils.__spec__.loader
source = loader.get_source(utils.__name__)  # what the wrapped loader still answers
copy.copy(loader)
reader = utils.ImageReader(sys.argv[1])
import PIL, PIL.Image
print(json.dumps({
    "before": before,
    "size": list(reader.getSize()),
    "one_module": utils.Image is sys.modules["PIL.Image"] is PIL.Image,
    "finder_gone": pipeline.startup.ReportlabFinder not in sys.meta_path,
    "source": "from PIL import Image" in source,
}))
"""


_ON_FIRST_USE = """
import json, sys
# As in a Python whose site imports neither (a .pth file of some installs imports tempfile):
for name in ("inspect", "tempfile"):
    sys.modules.pop(name, None)
import pipeline
import dataclasses
import reportlab.lib.utils  # which imports rltempfile
import reportlab.lib.rltempfile as rltempfile
before = {
    "inspect": "inspect" in sys.modules, "tempfile": "tempfile" in sys.modules,
    "in_dataclasses": type(dataclasses.inspect).__name__,
    "in_rltempfile": type(rltempfile.tempfile).__name__,
}

@dataclasses.dataclass
class Bare:
    x: int

folder = rltempfile.get_rl_tempdir()
import inspect, tempfile
print(json.dumps({**before,
    "doc": Bare.__doc__, "tempdir": folder.startswith(tempfile.gettempdir()),
    "inspect_real": dataclasses.inspect is inspect,
    "tempfile_real": rltempfile.tempfile is tempfile,
}))
"""


def test_inspect_and_tempfile_are_imported_at_their_first_use() -> None:
    """dataclasses and reportlab's rltempfile get stand-ins that become the real modules."""
    assert _run(_ON_FIRST_USE) == {
        "inspect": False,
        "tempfile": False,
        "in_dataclasses": "ModuleOnFirstUse",
        "in_rltempfile": "ModuleOnFirstUse",
        "doc": "Bare(x: int)",  # a class without a docstring: inspect.signature, as before
        "tempdir": True,
        "inspect_real": True,
        "tempfile_real": True,
    }


def test_reportlab_gets_the_real_pil_image_at_its_first_use(tmp_path: Path) -> None:
    """The stand-in hands over to the one real PIL.Image module, and the finder is gone."""
    from PIL import Image

    picture = tmp_path / "p.png"
    Image.new("RGB", (7, 5), "red").save(picture)
    found = _run(_STAND_IN, picture)
    assert found == {
        "before": "ModuleOnFirstUse",
        "size": [7, 5],
        "one_module": True,
        "finder_gone": True,
        "source": True,
    }


_CLASSES = """
import dataclasses, json, sys
import pipeline

@dataclasses.dataclass(frozen=True)
class Point:
    '''A point.'''
    x: int
    y: int = 2
    tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)

p = Point(1)
print(json.dumps({
    "repr": repr(p), "eq": p == Point(1, 2), "hash": hash(p) == hash(Point(1, 2)),
    "annotations": sorted(Point.__init__.__annotations__),
    "kept": pipeline.startup.DataclassCode.path().is_file(),
}))
"""


def _env(cache: Path) -> dict[str, str]:
    return {**os.environ, "BULLETIN_CACHE_DIR": str(cache)}


def test_kept_dataclass_code_gives_the_same_classes(tmp_path: Path) -> None:
    """A class made from kept code behaves as one compiled afresh; a bad file is not used."""
    cache = tmp_path / "cache"
    fresh = _run(_CLASSES, env=_env(cache))
    assert fresh["kept"] is False  # written at the end of the first process
    path = cache / startup.DataclassCode.path().name
    kept = marshal.loads(path.read_bytes())
    assert any("def __init__(self,x:_type_x" in text for text in kept)
    assert _run(_CLASSES, env=_env(cache)) == {**fresh, "kept": True}
    path.write_bytes(b"not marshal data")
    assert _run(_CLASSES, env=_env(cache)) == {**fresh, "kept": True}
    assert isinstance(marshal.loads(path.read_bytes()), dict)  # written again


def test_a_changed_class_is_compiled_anew(tmp_path: Path) -> None:
    """Kept code is found by the method's whole source: another field is another text."""
    cache = tmp_path / "cache"
    _run(_CLASSES, env=_env(cache))
    changed = _CLASSES.replace("    y: int = 2\n", "    y: int = 2\n    z: int = 3\n")
    found = _run(changed.replace("repr(p)", "repr(Point(1).z)"), env=_env(cache))
    assert found["repr"] == "3"


def test_kept_code_is_what_dataclasses_compiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every generated method has the code dataclasses' own exec gives, first compiled and then
    kept; without this module's __future__ flags (`__init__`'s annotations are its own)."""
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path))

    def make() -> type:
        @dataclasses.dataclass(frozen=True)
        class Point:
            """A point."""

            x: int
            y: list[int] = dataclasses.field(default_factory=list)

        return Point

    monkeypatch.delitem(vars(dataclasses), "exec")
    plain = make()
    codes = startup.DataclassCode()
    monkeypatch.setitem(vars(dataclasses), "exec", codes.exec)
    compiled = make()
    codes.save()
    kept_codes = startup.DataclassCode()
    monkeypatch.setitem(vars(dataclasses), "exec", kept_codes.exec)
    kept = make()
    assert kept_codes.compiled == 0  # all six methods came from the file
    methods = ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")
    for made in (compiled, kept):
        for name in methods:
            ours, theirs = (inspect.unwrap(getattr(c, name)).__code__ for c in (made, plain))
            assert marshal.dumps(ours) == marshal.dumps(theirs), name
        assert made.__init__.__annotations__ == plain.__init__.__annotations__
    assert plain.__init__.__annotations__["x"] == "int"  # this module's own __future__ import


def test_kept_namedtuple_code_is_what_collections_compiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A namedtuple's `__new__` has the code collections' own eval gives, compiled then kept."""
    import collections

    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path))

    def make() -> type:
        return collections.namedtuple("Pair", "left right", defaults=[2])

    monkeypatch.delitem(vars(collections), "eval")
    plain = make()
    codes = startup.DataclassCode()
    monkeypatch.setitem(vars(collections), "eval", codes.eval)
    compiled = make()
    assert codes.compiled == 1
    codes.save()
    kept_codes = startup.DataclassCode()
    monkeypatch.setitem(vars(collections), "eval", kept_codes.eval)
    kept = make()
    assert kept_codes.compiled == 0  # from the file
    for made in (compiled, kept):
        assert marshal.dumps(made.__new__.__code__) == marshal.dumps(plain.__new__.__code__)
        assert made(1) == (1, 2) and repr(made(1, 3)) == "Pair(left=1, right=3)"
        assert made.__new__.__defaults__ == (2,)


def test_beyond_codes_kept_a_file_keeps_what_the_process_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file stays bounded: over CODES_KEPT entries, only this process's are written."""
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(startup, "CODES_KEPT", 3)
    old = {f"x{n} = {n}\n": compile(f"x{n} = {n}\n", "<string>", "exec") for n in range(3)}
    (tmp_path / startup.DataclassCode.path().name).write_bytes(marshal.dumps(old))
    codes = startup.DataclassCode()
    codes.code("y = 1\n")
    codes.save()
    assert marshal.loads((tmp_path / codes.path().name).read_bytes()).keys() == {"y = 1\n"}


def test_the_package_generates_its_dataclasses_through_the_kept_code() -> None:
    """Installed by `import pipeline`: dataclasses' exec is the kept code's."""
    assert vars(dataclasses)["exec"] == startup.DATACLASS_CODE.exec


@pytest.mark.parametrize(
    "script",
    ["from pipeline.app.cli import run; run()", "from pipeline.app.entry import run; run()"],
    ids=["command line", "entry"],
)
def test_bulletin_build_keeps_the_code_though_it_skips_teardown(
    tmp_path: Path, script: str
) -> None:
    """`bulletin build` ends with os._exit (no atexit): it writes the kept code itself, by the
    command line (click) and by the console script's own path alike."""
    cache = tmp_path / "cache"
    subprocess.run(
        [sys.executable, "-c", script, "build",
         str(ROOT / "issues" / "brief-news" / "2024-07.toml"), "-o", str(tmp_path / "out")],
        check=True, capture_output=True, env=_env(cache),
    )  # fmt: skip
    assert (cache / startup.DataclassCode.path().name).is_file()
    assert (cache / startup.RegexCode.path().name).is_file()


_PATTERNS: list[tuple[str | bytes, int]] = [
    (r"(?P<year>\d{4})-(?P<number>\d+)(?:\.toml)?$", 0),
    (r"第\s*(\d+)\s*期", re.IGNORECASE),
    (
        r"""
        ^ \s* (?P<key> [A-Za-z_][\w-]* ) \s* =   # a key
        (?P<rest> .* )$
     """,
        re.VERBOSE | re.MULTILINE,
    ),
    (rb"[\x00-\x1f]+", 0),
    (r"[^\W\d_]+|(a)|(?P<b>b)", re.ASCII),
    (r"(?s).*?end", 0),
]


def test_kept_regex_code_gives_equal_patterns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pattern made from kept code equals (same code, flags, groups) what `re` compiles, and
    finds the same; a second process's patterns all come from the file."""
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path))
    real = startup._REAL_COMPILE
    first = startup.RegexCode()
    compiled = [first.compile(pattern, flags) for pattern, flags in _PATTERNS]
    assert first.compiled == len(_PATTERNS)
    first.save()
    second = startup.RegexCode()
    kept = [second.compile(pattern, flags) for pattern, flags in _PATTERNS]
    assert second.compiled == 0
    for (pattern, flags), made, from_file in zip(_PATTERNS, compiled, kept, strict=True):
        plain = real(pattern, flags)
        for ours in (made, from_file):
            assert ours == plain  # the engine's code, flags and pattern
            assert (ours.groups, ours.groupindex) == (plain.groups, plain.groupindex)
        sample = (
            "2024-07.toml 第 7 期 key = value Abc end" if isinstance(pattern, str) else b"a\x01"
        )
        assert [m.span() for m in from_file.finditer(sample)] == [  # type: ignore[arg-type]
            m.span()
            for m in plain.finditer(sample)  # type: ignore[arg-type]
        ]


def test_a_bad_pattern_raises_as_re_does_and_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path))
    codes = startup.RegexCode()
    with pytest.raises(re.error) as ours:
        codes.compile("(unclosed", 0)
    with pytest.raises(re.error) as theirs:
        startup._REAL_COMPILE("(unclosed", 0)
    assert str(ours.value) == str(theirs.value)
    assert codes.compiled == 0


def test_a_damaged_regex_entry_is_compiled_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code the engine refuses (a damaged or foreign file) is not used: `re` compiles it."""
    monkeypatch.setenv("BULLETIN_CACHE_DIR", str(tmp_path))
    entry = ((r"a+b", 0), (32, [999, 999, 999], 0, {}, (None,)))
    (tmp_path / startup.RegexCode.path().name).write_bytes(marshal.dumps(dict([entry])))
    codes = startup.RegexCode()
    assert codes.compile(r"a+b", 0) == startup._REAL_COMPILE(r"a+b", 0)
    assert codes.compile(r"a+b", 0).fullmatch("aab")


def test_the_package_compiles_patterns_through_the_kept_code() -> None:
    """Installed by `import pipeline`: `re` compiles through the kept regex code."""
    assert re._compiler.compile == startup.REGEX_CODE.compile  # type: ignore[attr-defined]


_SAFE_EVAL = """
import json, sys
import pipeline
from reportlab.lib.utils import rl_extended_literal_eval, rl_safe_eval
from reportlab.lib import colors
before = type(sys.modules["reportlab.lib.rl_safe_eval"]).__name__
results = [rl_safe_eval("1 + 2", g={}, l={}), rl_extended_literal_eval("[1, (2, 'a')]")]
try:
    rl_safe_eval("__import__('os')", g={}, l={})
except Exception as error:
    results.append(type(error).__name__ + ": " + str(error))
import reportlab.lib
real = sys.modules["reportlab.lib.rl_safe_eval"]
print(json.dumps({
    "before": before,
    "after": type(real).__name__,
    "real_file": real.__file__.endswith("rl_safe_eval.py"),
    "package_attribute": reportlab.lib.rl_safe_eval is real,
    "results": results,
    "color": str(colors.toColor("Color(1, 0, 0)")),
}))
"""


def test_reportlab_gets_the_real_safe_eval_at_its_first_use(tmp_path: Path) -> None:
    """Its functions, called through reportlab.lib.utils, give what the real module gives; then
    the real module takes the stand-in's place."""
    found = _run(_SAFE_EVAL, env=_env(tmp_path / "cache"))
    plain = _run(_SAFE_EVAL.replace("import pipeline\n", ""), env=_env(tmp_path / "cache"))
    assert found["before"] == "SafeEvalOnFirstUse" and plain["before"] == "module"
    assert {**found, "before": "module"} == plain
    assert found["after"] == "module" and found["real_file"] and found["package_attribute"]
    assert found["results"][:2] == [3, [1, [2, "a"]]]
