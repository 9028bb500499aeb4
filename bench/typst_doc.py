"""The same issue as a Typst document: same fonts, page geometry, sizes and grid as the bulletin.

Used by bench/run.py to time Typst (the `typst` package on PyPI) on the same content. The fonts
are the bundled ones (`font_paths = fonts/bundled`, system fonts ignored): FandolFang body 16 pt on
a 28.99 pt line pitch, margins 37/28/26/35 mm, a red 42 pt masthead in Noto Serif SC Black, 22 pt
titles, Noto Sans SC Medium column tags and 一、 headings, FandolKai for （一） headings and
sources, page numbers "— n —" in Noto Serif SC 14 pt on the outer side.
"""

from __future__ import annotations

import json

from corpus import EDITOR, TITLE, Issue

PITCH_PT = 28.99
BODY_PT = 16.0

PREAMBLE = f"""#set page(
  paper: "a4",
  margin: (top: 37mm, left: 28mm, right: 26mm, bottom: 35mm),
  footer-descent: 7mm,
  footer: context {{
    let n = counter(page).get().first()
    set text(font: "Noto Serif SC", weight: "regular", size: 14pt)
    if calc.odd(n) {{ align(right)[— #n —#h(1em)] }} else {{ align(left)[#h(1em)— #n —] }}
  }},
)
#set text(font: "FandolFang", size: {BODY_PT}pt, lang: "zh", region: "cn",
  top-edge: 0.88em, bottom-edge: -0.12em, cjk-latin-spacing: none)
#set par(justify: true, leading: {PITCH_PT - BODY_PT:.2f}pt, spacing: {PITCH_PT - BODY_PT:.2f}pt,
  first-line-indent: (amount: 2em, all: true))
#let red = cmyk(0%, 100%, 100%, 0%)
#let blank = v({PITCH_PT}pt, weak: true)
#let tag(body) = {{
  blank; par(first-line-indent: 0em, text(font: "Noto Sans SC", weight: "medium", body)) }}
#let title(body) = {{
  blank
  align(center, par(first-line-indent: 0em,
    text(font: "Noto Serif SC", weight: "black", size: 22pt, body)))
}}
#let h1(body) = text(font: "Noto Sans SC", weight: "medium", body)
#let h2(body) = text(font: "FandolKai", body)
#let source(body) = align(right, par(first-line-indent: 0em,
  text(font: "FandolKai", body + h(2em))))
"""


def _s(text: str) -> str:
    """A Typst string literal: printed as plain text, never read as markup."""
    return "#" + json.dumps(text, ensure_ascii=False)


def typst_source(issue: Issue) -> str:
    """The whole issue as Typst markup."""
    out = [PREAMBLE]
    out.append(
        '#par(first-line-indent: 0em, text(font: "Noto Sans SC", weight: "medium")'
        "[内部资料 注意保存])"
    )
    name = json.dumps(TITLE, ensure_ascii=False)
    out.append(
        '#align(center, block(height: 3 * 28.99pt, align(horizon, text(font: "Noto Serif SC",'
        f' weight: "black", size: 42pt, fill: red, tracking: 0.3em, {name}))))'
    )
    out.append(
        f"#align(center, par(first-line-indent: 0em, "
        f"[{_s(f'第{issue.number}期（总第{issue.total}期）')}]))"
    )
    day = issue.date
    out.append(
        "#par(first-line-indent: 0em, [#h(1em)"
        f"{_s(EDITOR)}#h(1fr){_s(f'{day.year}年{day.month}月{day.day}日')}#h(1em)])"
    )
    out.append("#v(-12pt)#line(length: 100%, stroke: 1.5pt + red)")
    for column in issue.columns:
        out.append(f"#tag[{_s(f'【{column.name}】')}]")
        for article in column.articles:
            out.append(f"#title[{_s(article.title)}]")
            for level, text in article.paragraphs:
                if level == 1:
                    out.append(f"#h1[{_s(text)}]")
                elif level == 2:
                    out.append(f"#h2[{_s(text)}]")
                else:
                    out.append(_s(text))
            out.append(f"#source[{_s(f'（{article.source}）')}]")
    out.append(
        "#v(1fr)\n#set text(size: 14pt)\n#set par(first-line-indent: 0em)\n"
        "#par[#h(2em)信息公开选项：主动公开]\n"
        "#line(length: 100%, stroke: 0.99pt)\n"
        "#par[#h(1em)报：中国地方志指导小组办公室、省委办公厅、省政府办公厅。]\n"
        "#par[#h(1em)送：省委宣传部、省财政厅、省文化和旅游厅、各市（州）党委办公室。]\n"
        "#par[#h(1em)发：各市（州）地方志工作机构、省地方志办各处室。]\n"
        "#line(length: 100%, stroke: 0.71pt)\n"
        f"#par[#h(1em)四川省地方志工作办公室综合处#h(1fr)"
        f"{_s(f'{day.year}年{day.month}月{day.day}日印发')}#h(1em)]\n"
        f"#align(right)[{_s(f'（共印{issue.copies}份）')}#h(1em)]\n"
        "#line(length: 100%, stroke: 0.99pt)"
    )
    return "\n\n".join(out) + "\n"
