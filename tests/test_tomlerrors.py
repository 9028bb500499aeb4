"""Each TOML slip a clerk makes gets its own message and fix, in English and in Chinese."""
# ruff: noqa: E501 - the expected messages are easier to read on one line each

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.diagnostics import BulletinError
from pipeline.source.load import read_toml
from pipeline.source.tomlerrors import iso_date, whole_number

# (case, issue text, the message in English, the message in Chinese)
SLIPS = [
    (
        "full-width quotes",
        "[masthead]\ntitle = “工作简报”\n",
        'i.toml:2:9: error: the text of \'title\' is in full-width quotes “ ”; TOML needs the ASCII double quote " [masthead.title]\n  hint: change “ and ” to the ASCII double quote ": title = "工作简报"',
        'i.toml:2:9: 错误: “title”的文字用了中文引号 “ ”，TOML 要求用英文双引号 " [masthead.title]\n  提示：把 “ 和 ” 改为英文双引号 "：title = "工作简报"',
    ),
    (
        "full-width single quotes",
        "[masthead]\ntitle = ‘工作简报’\n",
        'i.toml:2:9: error: the text of \'title\' is in full-width quotes ‘ ’; TOML needs the ASCII double quote " [masthead.title]\n  hint: change ‘ and ’ to the ASCII double quote ": title = "工作简报"',
        'i.toml:2:9: 错误: “title”的文字用了中文引号 ‘ ’，TOML 要求用英文双引号 " [masthead.title]\n  提示：把 ‘ 和 ’ 改为英文双引号 "：title = "工作简报"',
    ),
    (
        "full-width opening quote, ASCII closing quote",
        '[masthead]\ntitle = “工作简报"\n',
        'i.toml:2:9: error: the text of \'title\' is in full-width quotes “ ”; TOML needs the ASCII double quote " [masthead.title]\n  hint: change “ and ” to the ASCII double quote ": title = "工作简报"',
        'i.toml:2:9: 错误: “title”的文字用了中文引号 “ ”，TOML 要求用英文双引号 " [masthead.title]\n  提示：把 “ 和 ” 改为英文双引号 "：title = "工作简报"',
    ),
    (
        "full-width equals",
        '[masthead]\ntitle ＝ "工作简报"\n',
        "i.toml:2:7: error: 'title' is followed by ＝ (U+FF1D) instead of = [masthead.title]\n  hint: write title = \"工作简报\"",
        'i.toml:2:7: 错误: “title”后面是 ＝（U+FF1D），应为英文等号 = [masthead.title]\n  提示：应写为 title = "工作简报"',
    ),
    (
        "full-width colon",
        '[masthead]\ntitle ： "工作简报"\n',
        "i.toml:2:7: error: 'title' is followed by ： (U+FF1A) instead of = [masthead.title]\n  hint: write title = \"工作简报\"",
        'i.toml:2:7: 错误: “title”后面是 ：（U+FF1A），应为英文等号 = [masthead.title]\n  提示：应写为 title = "工作简报"',
    ),
    (
        "full-width comma",
        '[distribution]\nsend_to = ["甲"，"乙"]\n',
        'i.toml:2:15: error: a full-width ， separates the items of \'send_to\'; TOML needs the ASCII comma , [distribution.send_to]\n  hint: write send_to = ["甲", "乙"]',
        'i.toml:2:15: 错误: “send_to”的各项之间用了中文的 ，，TOML 要求用英文逗号 , [distribution.send_to]\n  提示：应写为 send_to = ["甲", "乙"]',
    ),
    (
        "ascii quotes inside",
        '[[columns.articles]]\ntitle = "对标学习"走出去" 观摩"\n',
        'i.toml:2:14: error: the text of \'title\' ends at the " in column 14, but more follows: a quote inside a text cannot be the ASCII " [columns.articles[1].title]\n  hint: write the quotes inside the text as “ ”: title = "对标学习“走出去” 观摩"',
        'i.toml:2:14: 错误: “title”的文字在第 14 列的 " 处就结束了，后面还有内容：文字中的引号不能用英文双引号 " [columns.articles[1].title]\n  提示：文字中的引号改用中文引号 “ ”：title = "对标学习“走出去” 观摩"',
    ),
    (
        "duplicate key",
        '[masthead]\nnumber = 1\ntitle = "工作简报"\nnumber = 2\n',
        "i.toml:4:1: error: the key 'number' is set twice; first at line 2 [masthead.number]\n  hint: keep one of lines 2 and 4",
        "i.toml:4:1: 错误: 键“number”写了两次，第一次在第 2 行 [masthead.number]\n  提示：第 2 行和第 4 行只保留一行",
    ),
    (
        "duplicate table",
        '[masthead]\nnumber = 1\n\n[masthead]\ntitle = "工作简报"\n',
        "i.toml:4:1: error: the table [masthead] appears twice; first at line 1 [masthead]\n  hint: put all its keys under the first [masthead] and delete this line",
        "i.toml:4:1: 错误: 表 [masthead] 出现了两次，第一次在第 1 行 [masthead]\n  提示：把它的键都移到第一个 [masthead] 下面，删去这一行",
    ),
    (
        "chinese date",
        "[masthead]\ndate = 2024年3月8日\n",
        "i.toml:2:8: error: 'date': 2024年3月8日 is not written as a TOML date [masthead.date]\n  hint: write date = 2024-03-08 (year-month-day, two digits for month and day, no quotes)",
        "i.toml:2:8: 错误: “date”：2024年3月8日 不是 TOML 日期的写法 [masthead.date]\n  提示：应写为 date = 2024-03-08（年-月-日，月和日都写两位，不加引号）",
    ),
    (
        "unpadded date",
        "[masthead]\ndate = 2024-3-8\n",
        "i.toml:2:8: error: 'date': 2024-3-8 is not written as a TOML date [masthead.date]\n  hint: write date = 2024-03-08 (year-month-day, two digits for month and day, no quotes)",
        "i.toml:2:8: 错误: “date”：2024-3-8 不是 TOML 日期的写法 [masthead.date]\n  提示：应写为 date = 2024-03-08（年-月-日，月和日都写两位，不加引号）",
    ),
    (
        "slashed date",
        "[masthead]\ndate = 2024/03/08\n",
        "i.toml:2:8: error: 'date': 2024/03/08 is not written as a TOML date [masthead.date]\n  hint: write date = 2024-03-08 (year-month-day, two digits for month and day, no quotes)",
        "i.toml:2:8: 错误: “date”：2024/03/08 不是 TOML 日期的写法 [masthead.date]\n  提示：应写为 date = 2024-03-08（年-月-日，月和日都写两位，不加引号）",
    ),
    (
        "chinese number",
        "[masthead]\nnumber = 十四\n",
        "i.toml:2:10: error: 'number': 十四 is not a number in ASCII digits [masthead.number]\n  hint: write number = 14",
        "i.toml:2:10: 错误: “number”：十四 不是用阿拉伯数字写的数 [masthead.number]\n  提示：应写为 number = 14",
    ),
    (
        "full-width number",
        "[masthead]\nnumber = １４\n",
        "i.toml:2:10: error: 'number': １４ is not a number in ASCII digits [masthead.number]\n  hint: write number = 14",
        "i.toml:2:10: 错误: “number”：１４ 不是用阿拉伯数字写的数 [masthead.number]\n  提示：应写为 number = 14",
    ),
    (
        "unquoted text",
        "[masthead]\ntitle = 工作简报\n",
        "i.toml:2:9: error: the text of 'title' needs double quotes [masthead.title]\n  hint: write title = \"工作简报\"",
        'i.toml:2:9: 错误: “title”的文字要加英文双引号 [masthead.title]\n  提示：应写为 title = "工作简报"',
    ),
    (
        "unclosed body",
        '[[columns]]\n[[columns.articles]]\ntitle = "一"\nbody = """\n第一段。\n\n[[columns.articles]]\ntitle = "二"\nbody = """\n第二篇。\n"""\n',
        'i.toml:4:1: error: the text of \'body\' that opens here with """ is never closed [columns[1].articles[1].body]\n  hint: end it with a line holding only """ before line 7',
        'i.toml:4:1: 错误: “body”的文字从此处的 """ 开始，但没有结束 [columns[1].articles[1].body]\n  提示：在第 7 行之前加一行只有 """ 的行，结束这段文字',
    ),
    (
        "unfinished header",
        "[masthead]\nnumber = 1\n[[",
        "i.toml:3:1: error: this table header is not written right: [[\n  hint: a header is a name in brackets on a line of its own, e.g. [[columns.articles]]",
        "i.toml:3:1: 错误: 表头写得不对：[[\n  提示：表头是单独一行、写在方括号里的名称，例如 [[columns.articles]]",
    ),
    (
        "deep nesting",
        "x = " + "[" * 40 + "]" * 40 + "\n",
        'i.toml:1:21: error: lists or tables are nested more than 16 deep here\n  hint: an issue needs at most two levels, e.g. rows = [["甲", "乙"]]',
        'i.toml:1:21: 错误: 此处列表或表的嵌套超过 16 层\n  提示：一期简报最多只需两层，例如 rows = [["甲", "乙"]]',
    ),
    (
        "long dotted key",
        "a" + ".a" * 20000 + " = 1\n",
        "i.toml:1:32: error: a key with more than 16 dotted parts\n  hint: write keys and tables as the example issue does, e.g. [[columns.articles]]",
        "i.toml:1:32: 错误: 键名中用 . 连接的部分超过 16 段\n  提示：照示例简报的写法写键和表，例如 [[columns.articles]]",
    ),
]


@pytest.mark.parametrize(
    ("text", "english", "chinese"), [s[1:] for s in SLIPS], ids=[s[0] for s in SLIPS]
)
def test_each_slip_has_its_own_message_in_both_languages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, english: str, chinese: str
) -> None:
    path = tmp_path / "i.toml"
    path.write_text(text, encoding="utf-8")
    for language, expected in (("en", english), ("zh", chinese)):
        monkeypatch.setenv("BULLETIN_LANG", language)
        with pytest.raises(BulletinError) as caught:
            read_toml(path)
        assert (
            "\n".join(d.format(relative_to=tmp_path) for d in caught.value.diagnostics) == expected
        )


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("2024年3月8日", "2024-03-08"),
        ("2024-3-8", "2024-03-08"),
        ('"2024/03/08"', "2024-03-08"),
        ("2024年 3 月 18 日", "2024-03-18"),
        ("2024-02-30", None),
        ("三月八日", None),
    ],
)
def test_dates_as_clerks_write_them(written: str, iso: str | None) -> None:
    assert iso_date(written) == iso


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("十四", 14),
        ("十", 10),
        ("二十三", 23),
        ("一百零五", 105),
        ("１４", 14),
        ('"14"', 14),
        ("二〇二四", 2024),
        ("十四期", None),
        ("", None),
    ],
)
def test_numbers_as_clerks_write_them(written: str, number: int | None) -> None:
    assert whole_number(written) == number
