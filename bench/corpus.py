"""Realistic made-up bulletin issues (工作简报), generated deterministically from a seed.

Each issue has a masthead, 2–3 columns, articles with titles, 一、/（一） headings and sources, and
about 5,000 characters of text (about 10 pages at 16 pt on the 22-line grid). The same content is
written as a bulletin TOML file (`write_corpus`) and as a Typst document (`bench/typst_doc.py`).

    python bench/corpus.py OUT_FOLDER [--count 100] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

PLACES = [
    "成都市",
    "自贡市",
    "攀枝花市",
    "泸州市",
    "德阳市",
    "绵阳市",
    "广元市",
    "遂宁市",
    "内江市",
    "乐山市",
    "南充市",
    "眉山市",
    "宜宾市",
    "广安市",
    "达州市",
    "雅安市",
    "巴中市",
    "资阳市",
    "阿坝州",
    "甘孜州",
    "凉山州",
]
COUNTIES = [
    "金牛区",
    "富顺县",
    "米易县",
    "合江县",
    "广汉市",
    "江油市",
    "苍溪县",
    "射洪市",
    "隆昌市",
    "峨眉山市",
    "阆中市",
    "洪雅县",
    "南溪区",
    "岳池县",
    "宣汉县",
    "荥经县",
    "通江县",
    "安岳县",
    "汶川县",
    "泸定县",
    "西昌市",
]
OFFICES = ["地方志办公室", "党史研究室", "史志办公室", "档案馆", "方志馆", "地方志编纂中心"]
TOPICS = [
    "年鉴编纂",
    "志书质量建设",
    "数字方志",
    "村志编修",
    "旧志整理",
    "地情研究",
    "方志馆建设",
    "史志宣传",
    "资料征集",
    "人才队伍建设",
    "志书审查验收",
    "地情资料开发利用",
    "口述史采集",
    "乡镇志编纂",
    "部门志编修",
    "地方综合年鉴",
    "方志文化进校园",
    "史志阅览室建设",
]
ACTIONS = [
    "扎实推进",
    "持续深化",
    "统筹推进",
    "全面加强",
    "创新开展",
    "高质量推进",
    "大力推动",
    "有序推进",
    "积极探索",
    "认真抓好",
]
RESULTS = [
    "取得新成效",
    "迈出新步伐",
    "开创新局面",
    "呈现新气象",
    "实现新突破",
    "再上新台阶",
]
COLUMNS = ["特别关注", "市州动态", "工作交流", "经验做法", "基层风采", "信息简讯", "理论研究"]
HEADINGS = [
    "提高站位，强化组织领导",
    "突出重点，夯实工作基础",
    "创新方式，提升服务效能",
    "健全机制，压实工作责任",
    "加强培训，建强人才队伍",
    "注重应用，推动成果转化",
    "严格把关，确保编纂质量",
    "整合资源，建好数据平台",
    "守正创新，讲好地方故事",
]
SUBHEADINGS = [
    "完善顶层设计",
    "强化经费保障",
    "规范编纂流程",
    "加快资料收集",
    "严把审读关口",
    "拓展传播渠道",
    "推进数字化加工",
    "建立联络员队伍",
    "开展交叉审读",
    "推动成果出版",
]
SENTENCES = [
    "{month}月{day}日，{place}{office}召开{topic}工作推进会，总结前一阶段工作情况，"
    "安排部署下一阶段重点任务。",
    "会议强调，要坚持“一纳入、八到位”工作要求，把{topic}摆在更加突出的位置，"
    "切实做到组织、经费、人员、设施“四落实”。",
    "截至{month}月底，全市已完成{topic}相关项目{n}个，累计整理各类资料{m}万字，"
    "完成年度计划的{pct}%。",
    "{place}{office}主要负责同志介绍了本地{topic}的经验做法，与会人员结合实际开展了交流讨论。",
    "该{office}先后深入{county}等地开展专题调研，实地察看{n}个乡镇（街道）史志阅览室建设情况，"
    "听取基层意见建议。",
    "今年以来，{place}坚持问题导向和目标导向，把{topic}作为推动地方志事业高质量发展的重要抓手，"
    "各项工作取得明显成效。",
    "下一步，{place}将进一步健全工作机制，加强业务指导，确保{topic}任务按期保质完成。",
    "为提升编纂人员业务能力，{office}举办专题培训班{k}期，邀请省内外专家授课，"
    "培训市县业务骨干{n}人次。",
    "《{place}年鉴（{year}）》共设类目{k}个、分目{n}个、条目{m}条，全书约{big}万字，"
    "图文并茂地记述了上一年度全市经济社会发展情况。",
    "在资料收集阶段，编纂人员采取“请进来、走出去”的方式，向{n}家单位征集资料，"
    "并对重要数据逐条核实。",
    "通过线上线下相结合的方式，{place}推出“方志里的{short}”系列短视频{k}部，"
    "网络播放量累计超过{m}万次。",
    "参加审读的专家认为，该志资料翔实、体例规范、特色鲜明，较好地记述了当地{k}年来的发展变化。",
    "{county}结合本地实际，探索建立“县志办+乡镇+村（社区）”三级联动工作机制，"
    "打通了资料收集的“最后一公里”。",
    "与会人员一致认为，做好{topic}工作，既要“存史”，更要“资政、育人”，让地方志成果真正“活”起来、"
    "“用”起来。",
    "针对部分单位供稿不及时、质量不高等问题，{office}建立了定期通报和约谈提醒制度，"
    "推动问题整改落实。",
    "目前，{place}已建成数字方志平台，收录志书、年鉴等地情文献{n}部，实现了全文检索和在线阅读。",
    "“一部好的志书，必须经得起历史的检验。”{county}{office}负责同志在交流时说。",
    "此次活动共吸引{n}余名干部群众参与，进一步扩大了地方志工作的社会影响力。",
    "同时，各地积极推动地方志进机关、进学校、进社区、进乡村，开展主题展览和宣讲活动{k}场次。",
    "据统计，上半年全市共接待查阅利用{n}人次，提供地情资料咨询服务{k}次，编制专题资料{m}册。",
    "{place}历史悠久、文化底蕴深厚，境内留存古镇、古村落、石刻、碑碣等文物遗存，"
    "为编修志书提供了丰富素材。",
    "编纂过程中，{office}组织力量查阅档案、报刊、族谱等文献{m}余卷，走访老干部、老教师、"
    "老艺人{n}人，抢救性记录了一批珍贵的口述资料。",
    "该书分为自然环境、建置沿革、人口民族、经济建设、社会事业、风土人情等{k}个篇章，"
    "系统反映了当地的历史变迁。",
    "评审组专家对照《地方志书质量规定》，从观点、体例、资料、文字、图照等方面逐章逐节提出修改意见"
    "{n}条，要求编纂单位认真吸纳、逐条整改。",
    "针对山区乡镇交通不便、信息闭塞的实际，{county}组建流动服务队，带着志书、年鉴下乡进村，"
    "把地情知识送到群众身边。",
    "为破解专业人才短缺难题，{place}与高校、科研院所签订合作协议，聘请{k}名专家学者担任学术顾问，"
    "建立了{n}人的专家库。",
    "在防汛救灾、脱贫攻坚、乡村振兴等重大任务中，地方志工作者深入一线采写记录，"
    "为后人留下了翔实可信的第一手资料。",
    "展览通过图片、实物、影像和互动体验等形式，生动展示了{place}从农耕文明到现代化建设的发展历程，"
    "吸引了众多市民驻足观看。",
    "各县（市、区）对照年度目标任务，细化时间表、路线图，实行挂图作战、销号管理，"
    "确保各项任务落地见效。",
    "座谈会上，离退休老同志畅谈亲身经历，回顾了当年修志的艰辛历程，勉励年轻同志传承“板凳要坐十年冷”"
    "的治学精神。",
    "项目完成后，旧志影印本将分送图书馆、档案馆和高校收藏，供社会各界查阅研究，"
    "进一步发挥“以志资政”的作用。",
    "据悉，{place}还将围绕红色文化、非物质文化遗产、传统村落等主题，陆续编辑出版系列丛书，"
    "预计明年底前完成{k}部。",
    "与此同时，{office}充分利用微信公众号、视频号等新媒体平台，开设“今日说志”“老照片里的故事”"
    "等栏目，全年推送稿件{n}篇。",
    "为确保数据准确，编辑部对统计口径不一致、数据前后矛盾的条目进行了专门核对，共纠正差错{n}处。",
    "本次培训内容涵盖志书编纂理论、年鉴框架设计、条目撰写规范、图片选用与编排、"
    "数字化技术应用等方面。",
    "该馆占地面积约{m}平方米，设有序厅、历史沿革厅、名人厅、成果展示厅和多功能报告厅，"
    "年接待观众逾{big}万人次。",
    "活动中，志愿者们为游客讲解古桥、古井、祠堂和老街的来历，传播优秀传统文化，受到群众广泛好评。",
    "经过{k}年努力，{county}完成了全县{n}个行政村的村志编修，在全省率先实现村志全覆盖。",
]


@dataclass
class Article:
    """One article: title, paragraphs (level 0 body, 1 一、 heading, 2 （一） heading), source."""

    title: str
    paragraphs: list[tuple[int, str]]
    source: str


@dataclass
class Column:
    """A column (栏目) and its articles."""

    name: str
    articles: list[Article] = field(default_factory=list)


@dataclass
class Issue:
    """A whole issue as the generator made it."""

    number: int
    total: int
    date: dt.date
    columns: list[Column]
    copies: int

    def characters(self) -> int:
        """Characters of titles, text and sources (what the body of the bulletin prints)."""
        count = 0
        for column in self.columns:
            count += len(column.name) + 2
            for article in column.articles:
                count += len(article.title) + len(article.source) + 2
                count += sum(len(text) for _, text in article.paragraphs)
        return count


TITLE = "工作简报"
EDITOR = "四川省地方志工作办公室"


def _sentence(rng: random.Random, place: str, topic: str, template: str) -> str:
    return template.format(
        month=rng.randint(1, 12),
        day=rng.randint(1, 28),
        place=place,
        short=place[:-1],
        county=rng.choice(COUNTIES),
        office=rng.choice(OFFICES),
        topic=topic,
        n=rng.randint(12, 480),
        m=rng.randint(20, 900),
        k=rng.randint(2, 12),
        pct=rng.randint(60, 98),
        big=rng.randint(80, 160),
        year=rng.randint(2019, 2024),
    )


def _paragraph(rng: random.Random, place: str, topic: str) -> str:
    count = rng.randint(2, 5)
    return "".join(
        _sentence(rng, place, topic, template) for template in rng.sample(SENTENCES, count)
    )


def _article(rng: random.Random, long: bool) -> Article:
    place = rng.choice(PLACES)
    topic = rng.choice(TOPICS)
    title = f"{place}{rng.choice(ACTIONS)}{topic}工作"
    if rng.random() < 0.4:
        title = f"{place}{topic}{rng.choice(RESULTS)}"
    paragraphs: list[tuple[int, str]] = [(0, _paragraph(rng, place, topic))]
    if long:
        for number, heading in enumerate(rng.sample(HEADINGS, rng.randint(2, 3))):
            paragraphs.append((1, f"{'一二三四'[number]}、{heading}"))
            subs = rng.sample(SUBHEADINGS, rng.randint(0, 2))
            for sub_number, sub in enumerate(subs):
                paragraphs.append((2, f"（{'一二三'[sub_number]}）{sub}"))
                paragraphs.append((0, _paragraph(rng, place, topic)))
            if not subs:
                paragraphs.append((0, _paragraph(rng, place, topic)))
    else:
        paragraphs += [(0, _paragraph(rng, place, topic)) for _ in range(rng.randint(1, 3))]
    source = f"{place}{rng.choice(OFFICES)}"
    return Article(title, paragraphs, source)


def make_issue(seed: int, number: int = 1, target_chars: int = 4000) -> Issue:
    """One issue of about `target_chars` characters, the same for the same seed and number."""
    rng = random.Random(f"bulletin-corpus-{seed}-{number}")
    names = rng.sample(COLUMNS, rng.randint(2, 3))
    columns = [Column(name) for name in names]
    issue = Issue(
        number=number,
        total=200 + number,
        date=dt.date(2025, 1, 1) + dt.timedelta(days=3 * (number - 1)),
        columns=columns,
        copies=rng.choice([80, 100, 120, 150]),
    )
    index = 0
    while issue.characters() < target_chars:
        column = columns[min(index * len(columns) // 6, len(columns) - 1)]
        column.articles.append(_article(rng, long=index == 0 or rng.random() < 0.3))
        index += 1
    for column in columns:
        if not column.articles:
            column.articles.append(_article(rng, long=False))
    return issue


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


SERIES_TOML = f"""# 基准测试用的《工作简报》系列（bench/corpus.py 生成）
template = "work-bulletin"

[masthead]
title = "{TITLE}"
editor = "{EDITOR}"
mark = "内部资料 注意保存"

[distribution]
disclosure = "主动公开"
report_to = ["中国地方志指导小组办公室", "省委办公厅", "省政府办公厅"]
send_to = ["省委宣传部", "省财政厅", "省文化和旅游厅", "各市（州）党委办公室"]
issue_to = ["各市（州）地方志工作机构", "省地方志办各处室"]
printer = "四川省地方志工作办公室综合处"
"""


def issue_toml(issue: Issue) -> str:
    """The issue as a bulletin issue file (the series file holds the rest)."""
    lines = [
        f"# 第{issue.number}期（bench/corpus.py 生成）",
        "",
        "[masthead]",
        f"number = {issue.number}",
        f"total = {issue.total}",
        f"date = {issue.date.isoformat()}",
    ]
    for column in issue.columns:
        lines += ["", "[[columns]]", f"name = {_toml_string(column.name)}"]
        for article in column.articles:
            body = "\n\n".join(text for _, text in article.paragraphs)
            lines += [
                "",
                "[[columns.articles]]",
                f"title = {_toml_string(article.title)}",
                f"source = {_toml_string(article.source)}",
                f'body = """\n{body}\n"""',
            ]
    lines += ["", "[distribution]", f"copies = {issue.copies}", ""]
    return "\n".join(lines)


def write_corpus(folder: Path, count: int, seed: int = 1) -> list[Path]:
    """Write `count` issues and their series.toml into `folder`; the issue files' paths."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "series.toml").write_text(SERIES_TOML, encoding="utf-8")
    paths = []
    for number in range(1, count + 1):
        path = folder / f"2025-{number:03d}.toml"
        path.write_text(issue_toml(make_issue(seed, number)), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    """Command line: write a corpus."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    paths = write_corpus(args.folder, args.count, args.seed)
    chars = [make_issue(args.seed, n).characters() for n in range(1, args.count + 1)]
    print(f"wrote {len(paths)} issues to {args.folder} ({min(chars)}–{max(chars)} characters)")


if __name__ == "__main__":
    main()
