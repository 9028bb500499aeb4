"""Structure and text rules: each case's exact messages in English and in Chinese."""
# ruff: noqa: E501 - the expected messages are easier to read on one line each

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.diagnostics import BulletinError
from pipeline.source.load import load_issue

SERIES = '[masthead]\ntitle = "工作简报"\neditor = "测试编发单位"\n\n[distribution]\nreport_to = ["上级机关甲"]\nprinter = "测试印发单位"\n'
GOOD = '[masthead]\nnumber = 1\ndate = 2024-07-24\n\n[[columns]]\nname = "特别关注"\n\n[[columns.articles]]\ntitle = "标题"\nsource = "来源"\nbody = """\n正文。\n"""\n'
# (case, issue text)
CASES = [
    (
        "empty issue",
        "",
    ),
    ("comment-only issue", "# 只有注释\n"),
    ("misspelt table", GOOD.replace("[masthead]", "[mast_head]")),
    (
        "single brackets",
        GOOD.replace("[[columns.articles]]", "[columns.articles]").replace(
            '[[columns]]\nname = "特别关注"\n', ""
        ),
    ),
    ("misspelt table of a list", GOOD.replace("[[columns.articles]]", "[[column.articles]]")),
    ("misspelt key", GOOD.replace("number = 1", "numbr = 1")),
    (
        "fixed wording typed",
        GOOD.replace('name = "特别关注"', 'name = "【特别关注】"').replace(
            'source = "来源"', 'source = "（来源）"'
        )
        + '\n[distribution]\nreport_to = ["办公室，"]\n',
    ),
    ("placeholder", GOOD + '\n[distribution]\nprinter = "××××办公室综合处"\n'),
    ("tab in a title", GOOD.replace('title = "标题"', 'title = "标\\t题"')),
    ("newline in a title", GOOD.replace('title = "标题"', 'title = """标\n题"""')),
    ("noncharacter", GOOD.replace('title = "标题"', 'title = "标\ufffe题"')),
    ("control character", GOOD.replace("正文。", "正\x07文。")),
    ("overlong title", GOOD.replace('title = "标题"', 'title = "' + "长" * 5000 + '"')),
    ("run of spaces", GOOD.replace("正文。", "正" + " " * 5000 + "文。")),
    ("overlong body", GOOD.replace("正文。", "长" * 25000)),
    ("long template name", 'template = "' + "模" * 150 + '"\n' + GOOD),
    ("quoted date", GOOD.replace("date = 2024-07-24", 'date = "2024年7月24日"')),
    ("quoted number", GOOD.replace("number = 1", 'number = "十四"')),
]

# (case, the messages in English, the messages in Chinese)
EXPECTED = {
    "empty issue": (
        '2024-01.toml:1:1: error: missing required key \'number\' [masthead.number]\n  hint: add under [masthead]: number = 1\n2024-01.toml:1:1: error: missing required key \'date\' [masthead.date]\n  hint: add under [masthead]: date = 2024-03-08\n2024-01.toml:1:1: error: missing required key \'columns\' [columns]\n  hint: add: [[columns]] [[columns.articles]] title = "…" body = """…"""',
        '2024-01.toml:1:1: 错误: 缺少必填的键“number” [masthead.number]\n  提示：请在 [masthead] 下添加：number = 1\n2024-01.toml:1:1: 错误: 缺少必填的键“date” [masthead.date]\n  提示：请在 [masthead] 下添加：date = 2024-03-08\n2024-01.toml:1:1: 错误: 缺少必填的键“columns” [columns]\n  提示：请添加：[[columns]] [[columns.articles]] title = "…" body = """…"""',
    ),
    "comment-only issue": (
        '2024-01.toml:1:1: error: missing required key \'number\' [masthead.number]\n  hint: add under [masthead]: number = 1\n2024-01.toml:1:1: error: missing required key \'date\' [masthead.date]\n  hint: add under [masthead]: date = 2024-03-08\n2024-01.toml:1:1: error: missing required key \'columns\' [columns]\n  hint: add: [[columns]] [[columns.articles]] title = "…" body = """…"""',
        '2024-01.toml:1:1: 错误: 缺少必填的键“number” [masthead.number]\n  提示：请在 [masthead] 下添加：number = 1\n2024-01.toml:1:1: 错误: 缺少必填的键“date” [masthead.date]\n  提示：请在 [masthead] 下添加：date = 2024-03-08\n2024-01.toml:1:1: 错误: 缺少必填的键“columns” [columns]\n  提示：请添加：[[columns]] [[columns.articles]] title = "…" body = """…"""',
    ),
    "misspelt table": (
        "2024-01.toml:1:1: error: unknown key 'mast_head' [mast_head]\n  hint: did you mean 'masthead'?",
        "2024-01.toml:1:1: 错误: 未知的键“mast_head” [mast_head]\n  提示：是不是要写“masthead”？",
    ),
    "single brackets": (
        "2024-01.toml:6:1: error: [columns.articles] is a list of tables: write [[columns.articles]] with double brackets [columns]\n  hint: each column is [[columns]] and each article [[columns.articles]]",
        "2024-01.toml:6:1: 错误: [columns.articles] 是可以有多个的表：请用双层方括号写成 [[columns.articles]] [columns]\n  提示：每个栏目写 [[columns]]，每篇文章写 [[columns.articles]]",
    ),
    "misspelt table of a list": (
        "2024-01.toml:8:1: error: unknown key 'column' [column]\n  hint: did you mean 'columns'?",
        "2024-01.toml:8:1: 错误: 未知的键“column” [column]\n  提示：是不是要写“columns”？",
    ),
    "misspelt key": (
        "2024-01.toml:2:1: error: unknown key 'numbr' [masthead.numbr]\n  hint: did you mean 'number'?",
        "2024-01.toml:2:1: 错误: 未知的键“numbr” [masthead.numbr]\n  提示：是不是要写“number”？",
    ),
    "fixed wording typed": (
        '2024-01.toml:6:1: warning: the column name is written with 【 】, which the pipeline adds [columns[1].name]\n  hint: write name = "特别关注"; it is printed as 【特别关注】\n2024-01.toml:10:1: warning: the source is written with （ ）, which the pipeline adds [columns[1].articles[1].source]\n  hint: write source = "来源"; it is printed as （来源）\n2024-01.toml:16:1: warning: \'办公室，\' ends with ，; the pipeline puts 、 between the names and 。 after the last [distribution.report_to[1]]\n  hint: write "办公室"',
        '2024-01.toml:6:1: 警告: 栏目名写了【 】，而程序会自动加上 [columns[1].name]\n  提示：请写 name = "特别关注"，印出来就是【特别关注】\n2024-01.toml:10:1: 警告: 来源写了（ ），而程序会自动加上 [columns[1].articles[1].source]\n  提示：请写 source = "来源"，印出来就是（来源）\n2024-01.toml:16:1: 警告: “办公室，”末尾有 ，；程序会在名称之间加“、”，在最后加“。” [distribution.report_to[1]]\n  提示：请写 "办公室"',
    ),
    "placeholder": (
        "2024-01.toml:16:1: error: 'distribution.printer' still holds the placeholder ×××× that bulletin new wrote [distribution.printer]\n  hint: write the real name or text in place of ××××",
        "2024-01.toml:16:1: 错误: “distribution.printer”中还留着 bulletin new 写入的占位符 ×××× [distribution.printer]\n  提示：请把 ×××× 换成实际的名称或文字",
    ),
    "tab in a title": (
        "2024-01.toml:9:1: error: a tab in 'columns[1].articles[1].title', which prints as an empty box [columns[1].articles[1].title]\n  hint: replace the tab with a space, or delete it",
        "2024-01.toml:9:1: 错误: “columns[1].articles[1].title”中有制表符（Tab），印出来是空框 [columns[1].articles[1].title]\n  提示：请把制表符换成空格，或删去",
    ),
    "newline in a title": (
        "2024-01.toml:9:1: error: a line break in 'columns[1].articles[1].title', which must stay on one line [columns[1].articles[1].title]\n  hint: join the lines into one",
        "2024-01.toml:9:1: 错误: “columns[1].articles[1].title”中有换行，但它只能写在一行里 [columns[1].articles[1].title]\n  提示：请把几行合成一行",
    ),
    "noncharacter": (
        "2024-01.toml:9:1: error: U+FFFE in 'columns[1].articles[1].title' is not a character [columns[1].articles[1].title]\n  hint: delete it: it is left over from a broken copy or conversion",
        "2024-01.toml:9:1: 错误: “columns[1].articles[1].title”中的 U+FFFE 不是字符 [columns[1].articles[1].title]\n  提示：请删去：这是复制或转换出错留下的",
    ),
    "control character": (
        "2024-01.toml:12:2: error: control character U+0007 here\n  hint: delete it: it is invisible and cannot be printed (often pasted in from another program)",
        "2024-01.toml:12:2: 错误: 此处有控制字符 U+0007\n  提示：请删去：它看不见，也无法印出（常是从别的程序粘贴进来的）",
    ),
    "overlong title": (
        "2024-01.toml:9:1: error: 'columns[1].articles[1].title' is 5000 characters long; a one-line text holds at most 200 [columns[1].articles[1].title]\n  hint: shorten it; long text belongs in an article's body",
        "2024-01.toml:9:1: 错误: “columns[1].articles[1].title”有 5000 个字符；单行文字最多 200 个字符 [columns[1].articles[1].title]\n  提示：请缩短；长文字应写在文章正文里",
    ),
    "run of spaces": (
        "2024-01.toml:12:1: error: 'columns[1].articles[1].body' has a run of 5000 spaces, which lay out nothing [columns[1].articles[1].body]\n  hint: delete them: the pipeline indents paragraphs itself",
        "2024-01.toml:12:1: 错误: “columns[1].articles[1].body”中有连续 5000 个空格，排版时没有任何作用 [columns[1].articles[1].body]\n  提示：请删去：段首缩进由程序自动完成",
    ),
    "overlong body": (
        "2024-01.toml:11:1: error: 'columns[1].articles[1].body' is 25001 characters long; it holds at most 20000 [columns[1].articles[1].body]\n  hint: split it into several articles (or table rows)",
        "2024-01.toml:11:1: 错误: “columns[1].articles[1].body”有 25001 个字符；最多 20000 个字符 [columns[1].articles[1].body]\n  提示：请分成几篇文章（或几行表格）",
    ),
    "long template name": (
        '2024-01.toml:1:1: error: a template name is a folder name of at most 64 characters [template]\n  hint: write the name of a folder under templates/, e.g. template = "work-bulletin"',
        '2024-01.toml:1:1: 错误: 模板名是文件夹名，最多 64 个字符 [template]\n  提示：请写 templates/ 下某个文件夹的名称，例如 template = "work-bulletin"',
    ),
    "quoted date": (
        "2024-01.toml:3:1: error: 'masthead.date' must be a date [masthead.date]\n  hint: write it without quotes: date = 2024-07-24",
        "2024-01.toml:3:1: 错误: “masthead.date”应为日期 [masthead.date]\n  提示：去掉引号：date = 2024-07-24",
    ),
    "quoted number": (
        "2024-01.toml:2:1: error: 'masthead.number' must be a whole number [masthead.number]\n  hint: write it without quotes: number = 14",
        "2024-01.toml:2:1: 错误: “masthead.number”应为整数 [masthead.number]\n  提示：去掉引号：number = 14",
    ),
}


@pytest.mark.parametrize(("name", "text"), CASES, ids=[c[0] for c in CASES])
def test_each_case_has_its_messages_in_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str
) -> None:
    folder = tmp_path / "issues" / "s"
    folder.mkdir(parents=True)
    (folder / "series.toml").write_text(SERIES, encoding="utf-8")
    path = folder / "2024-01.toml"
    path.write_text(text, encoding="utf-8")
    for language, expected in zip(("en", "zh"), EXPECTED[name], strict=True):
        monkeypatch.setenv("BULLETIN_LANG", language)
        try:
            shown = [w.format(relative_to=folder) for w in load_issue(path).warnings]
        except BulletinError as exc:
            shown = [d.format(relative_to=folder) for d in exc.diagnostics]
        assert "\n".join(shown) == expected


def test_fixed_wording_typed_anyway_is_printed_once(tmp_path: Path) -> None:
    folder = tmp_path / "issues" / "s"
    folder.mkdir(parents=True)
    (folder / "series.toml").write_text(SERIES, encoding="utf-8")
    path = folder / "2024-01.toml"
    path.write_text(dict(CASES)["fixed wording typed"], encoding="utf-8")
    issue = load_issue(path).issue
    assert issue.columns[0].name == "特别关注"
    assert issue.columns[0].articles[0].source == "来源"
    assert issue.distribution.report_to == ["办公室"]


def test_every_character_a_text_may_not_hold_is_searched_for() -> None:
    """check_text looks only at what _SUSPECT finds: it must find every refused character."""
    from pipeline.source.textrules import _SUSPECT, _bad_character

    missed = [
        hex(code)
        for code in range(0x110000)
        if not 0xD800 <= code <= 0xDFFF
        and _bad_character(chr(code), "title", one_line=True) is not None
        and _SUSPECT.fullmatch(chr(code)) is None
    ]
    assert missed == []
    assert _SUSPECT.fullmatch("\u00ad") is None  # a soft hyphen is Cf, not refused here
