"""Realistic demonstration records for a unit (deterministic for a given seed).

Figures follow the orders of magnitude in the seed documents (普洱's model workers, studios and
training). ``bulk_people`` fills large stores quickly for benchmarks.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from common.ids import make_id_number
from forms import divisions
from forms.choices import COMPETITION_LEVELS, STUDIO_LEVELS, STUDIO_TYPES, TRAINING_TYPES
from forms.honours import STUDIO_LEADER_REQUIREMENTS
from models import records, unit
from models.db import RecordError, Store

HAN_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙朱马胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
HAN_GIVEN = ("建国", "志明", "国华", "明", "伟", "丽", "芳", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "军",
             "超", "秀英", "霞", "平", "刚", "桂英", "文华", "海燕", "晓东", "春梅", "红梅", "玉兰", "云峰", "德明", "正荣",
             "堃", "喆", "昊天", "思远", "雨婷", "子涵", "俊杰", "佳怡", "永福", "金凤", "兴旺", "树林", "开元", "光辉")
# Names as they are written by people of Yunnan's minorities (ethnicity, sex, name).
MINORITY_NAMES: tuple[tuple[str, str, str], ...] = (
    ("哈尼族", "男", "李扎努"), ("哈尼族", "女", "白者妞"), ("哈尼族", "男", "张批福"), ("哈尼族", "女", "车玉秀"),
    ("彝族", "男", "普卫东"), ("彝族", "女", "罗阿依"), ("彝族", "男", "者黑"), ("彝族", "女", "李阿芝"),
    ("傣族", "男", "岩温"), ("傣族", "女", "玉香"), ("傣族", "男", "刀学文"), ("傣族", "女", "玉应罕"),
    ("拉祜族", "男", "扎约"), ("拉祜族", "女", "娜丽"), ("佤族", "男", "艾块"), ("佤族", "女", "叶嘎"),
    ("白族", "男", "段金华"), ("回族", "男", "马志明"), ("布朗族", "男", "岩三"), ("瑶族", "女", "邓秀英"),
)
EMPLOYERS: tuple[tuple[str, str, str], ...] = (
    ("{s}供电局", "国有企业", "电力、热力、燃气及水生产和供应业"),
    ("{s}自来水有限公司", "国有企业", "电力、热力、燃气及水生产和供应业"),
    ("{s}茶业有限责任公司", "民营企业", "制造业"),
    ("{s}咖啡产业发展有限公司", "民营企业", "农、林、牧、渔业"),
    ("{s}人民医院", "事业单位", "卫生和社会工作"),
    ("{s}第一中学", "事业单位", "教育"),
    ("{s}交通运输局公路管理段", "事业单位", "交通运输、仓储和邮政业"),
    ("{s}烟草专卖局（分公司）", "国有企业", "批发和零售业"),
    ("{s}建筑工程有限公司", "集体企业", "建筑业"),
    ("{s}林业和草原局", "机关", "公共管理、社会保障和社会组织"),
    ("{s}农村信用合作联社", "集体企业", "金融业"),
    ("{s}矿业有限公司", "国有企业", "采矿业"),
    ("{s}邮政分公司", "国有企业", "交通运输、仓储和邮政业"),
    ("{s}融媒体中心", "事业单位", "文化、体育和娱乐业"),
)
POSTS = ("电工", "变电运维", "制茶师", "焊工", "钳工", "汽车驾驶员", "护士", "教师", "养路工", "茶叶评茶员", "咖啡加工",
         "电力线路工", "机修工", "营业员", "林业技术员", "泥瓦工", "农艺工", "信贷员", "投递员", "记者")
SKILLS = ("三级/高级工", "二级/技师", "一级/高级技师", "四级/中级工", "五级/初级工", "无")
EDUCATION = ("大学本科", "大学专科", "中等专科/中职", "高中", "技工学校", "初中及以下", "硕士研究生")
POLITICAL = ("中共党员", "中共党员", "中共党员", "群众", "群众", "共青团员", "民盟盟员", "无党派人士")

CATEGORY_WEIGHTS = (("劳动模范/先进工作者", 45), ("五一劳动奖章", 20), ("工匠", 20), ("技术能手", 15))
LEVEL_WEIGHTS = (("全国", 4), ("省部级", 16), ("州市级", 38), ("县级", 42))


def _region(u: unit.Unit) -> tuple[str, str, str]:
    """(ID region code, county short name, prefecture stem) for names and titles."""
    division = divisions.get(u.code)
    if division is None:  # industry unions: Kunming
        division = divisions.get("530102")
    assert division is not None
    if division.level == "county":
        prefecture = divisions.get(division.parent_code)
        assert prefecture is not None
        return division.code, division.short_name, prefecture.stem
    if division.level == "prefecture":
        county = divisions.children(division.code)[0]
        return county.code, division.short_name, division.stem
    return "530102", "云南省", "昆明"


def _title(category: str, level: str, county: str, prefecture: str, rng: random.Random) -> str:
    national = {"劳动模范/先进工作者": ("全国劳动模范", "全国先进工作者"), "五一劳动奖章": ("全国五一劳动奖章",),
                "工匠": ("大国工匠年度人物",), "技术能手": ("全国技术能手",)}
    provincial = {"劳动模范/先进工作者": ("云南省劳动模范", "云南省先进工作者"), "五一劳动奖章": ("云南省五一劳动奖章",),
                  "工匠": ("云岭工匠",), "技术能手": ("云南省技术能手", "云南省职工技术状元")}
    if level == "全国":
        return rng.choice(national[category])
    if level == "省部级":
        return rng.choice(provincial[category])
    place = f"{prefecture}市" if level == "州市级" else county
    if category == "工匠":
        return f"{prefecture}工匠" if level == "州市级" else f"{county}工匠"
    return {"劳动模范/先进工作者": f"{place}劳动模范", "五一劳动奖章": f"{place}五一劳动奖章",
            "技术能手": f"{place}技术能手"}[category]


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _person(rng: random.Random, index: int, region: str, county: str, prefecture: str, last_year: int,
            ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    if index % 4 == 1:
        ethnicity, sex, name = MINORITY_NAMES[(index // 4) % len(MINORITY_NAMES)]
        if index // 4 >= len(MINORITY_NAMES):
            name = name + rng.choice("一二三")
    else:
        ethnicity = "汉族"
        sex = rng.choice("男男女")
        name = rng.choice(HAN_SURNAMES) + rng.choice(HAN_GIVEN)
    birth = dt.date(rng.randint(1962, 1994), rng.randint(1, 12), rng.randint(1, 28))
    employer, nature, industry = rng.choice(EMPLOYERS)
    person = {
        "name": name, "sex": sex, "ethnicity": ethnicity, "birth_date": birth.isoformat(),
        "id_number": make_id_number(region, birth, index, sex),
        "political": rng.choice(POLITICAL), "education": rng.choice(EDUCATION),
        "employer": employer.format(s=county), "employer_nature": nature, "industry": industry,
        "post": rng.choice(POSTS), "skill_level": rng.choice(SKILLS),
        "frontline": rng.random() < 0.7, "migrant": rng.random() < 0.15,
        "status": "在职" if birth.year >= 1966 else rng.choice(("退休", "在职")),
        "mobile": f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
    }
    honours = []
    count = 1 + (rng.random() < 0.25) + (rng.random() < 0.08)
    seen = set()
    for _ in range(count):
        category = _pick(rng, CATEGORY_WEIGHTS)
        level = _pick(rng, LEVEL_WEIGHTS)
        if category == "技术能手" and level == "县级":
            level = "州市级"
        title = _title(category, level, county, prefecture, rng)
        if title in seen:
            continue
        seen.add(title)
        year = rng.randint(max(birth.year + 24, 1990), last_year)
        month, day = rng.randint(3, 12), rng.randint(1, 28)
        honours.append({"title": title, "category": category, "level": level, "award_year": year,
                        "award_date": dt.date(year, month, day).isoformat() if rng.random() < 0.6 else None,
                        "awarding_body": _body(level, county, prefecture),
                        "doc_no": f"{_doc_prefix(level)}〔{year}〕{rng.randint(1, 60)}号"})
    return person, honours


def _body(level: str, county: str, prefecture: str) -> str:
    return {"全国": "中华全国总工会", "省部级": "云南省人民政府", "州市级": f"{prefecture}市人民政府",
            "县级": f"{county}人民政府"}[level]


def _doc_prefix(level: str) -> str:
    return {"全国": "总工发", "省部级": "云政发", "州市级": "市政发", "县级": "县政发"}[level]


def fill_demo(store: Store, seed: int = 2025, today: dt.date | None = None) -> dict[str, int]:
    """Fill an empty store with demo records for its unit; returns counts by Chinese kind name."""
    current = unit.load(store)
    if current is None:
        raise RecordError("尚未设置本单位，无法生成演示数据")
    if store.scalar("SELECT count(*) FROM people") or store.scalar("SELECT count(*) FROM studios"):
        raise RecordError("数据库中已有记录；演示数据只能填入新建的空数据库（可用 --data-dir 指定新的数据文件夹）")
    rng = random.Random(seed)
    today = today or dt.date.today()
    last_year = today.year - 1
    region, county, prefecture = _region(current)
    with store.atomic():
        if not (current.head and current.statistician and current.preparer and current.phone):
            unit.update_contacts(store, head=current.head or "李国华", statistician=current.statistician or "王丽萍",
                                 preparer=current.preparer or "张敏", phone=current.phone or "0879-3231234")
        people = _fill_people(store, rng, region, county, prefecture, last_year)
        studios = _fill_studios(store, rng, people, county, last_year)
        trainings = _fill_trainings(store, rng, county, today)
        competitions = _fill_competitions(store, rng, county, today)
        for year in (last_year - 1, last_year):
            suggestions = rng.randint(300, 900)
            records.save(store, "innovation", {
                "period": str(year), "suggestions": suggestions, "suggestions_adopted": int(suggestions * 0.6),
                "innovations": rng.randint(40, 120), "inventions": rng.randint(5, 30), "patents": rng.randint(8, 40),
                "methods": rng.randint(10, 40), "benefit": round(rng.uniform(300, 1500), 2)}, operation="demo")
    return {"人员": len(people), "工作室": studios, "培训": trainings, "竞赛": competitions, "经济技术创新": 2}


def _fill_people(store: Store, rng: random.Random, region: str, county: str, prefecture: str,
                 last_year: int) -> list[tuple[int, set[str]]]:
    out = []
    for index in range(120):
        person, honours = _person(rng, index, region, county, prefecture, last_year)
        saved = records.save(store, "people", person, children={"honours": honours}, operation="demo")
        out.append((saved.id, {h["category"] for h in honours}))
    return out


def _fill_studios(store: Store, rng: random.Random, people: list[tuple[int, set[str]]], county: str,
                  last_year: int) -> int:
    plan = [(t, lvl) for t in STUDIO_TYPES for lvl in STUDIO_LEVELS[1:]]
    plan += [("劳模创新工作室", "全国"), ("职工创新工作室", "县级")]
    used: set[int] = set()
    for number, (studio_type, level) in enumerate(plan, start=1):
        required = set(STUDIO_LEADER_REQUIREMENTS.get(studio_type, ()))
        candidates = [pid for pid, cats in people if pid not in used and (not required or cats & required)]
        leader = rng.choice(candidates)
        used.add(leader)
        leader_name = store.scalar("SELECT name FROM people WHERE id = ?", (leader,))
        employer = store.scalar("SELECT employer FROM people WHERE id = ?", (leader,))
        named = rng.randint(2012, last_year - 1)
        outputs = []
        for year in range(max(named, last_year - 2), last_year + 1):
            patents = rng.randint(0, 6)
            outputs.append({"year": year, "projects": rng.randint(1, 8), "achievements": rng.randint(1, 6),
                            "patents": patents, "invention_patents": rng.randint(0, patents),
                            "methods": rng.randint(0, 5), "benefit": round(rng.uniform(5, 300), 2),
                            "apprentices": rng.randint(2, 15), "trainees": rng.randint(20, 400)})
        name = f"{leader_name}{studio_type}" if studio_type in ("劳模创新工作室", "技能大师工作室") \
            else f"{employer}{studio_type}"
        if store.scalar("SELECT count(*) FROM studios WHERE name = ?", (name,)):
            name = f"{name}（{number}）"
        records.save(store, "studios", {
            "name": name, "type": studio_type, "level": level, "host_unit": employer,
            "leader_id": leader, "named_year": named, "named_doc": f"{county}总工发〔{named}〕{number}号",
            "members": rng.randint(5, 30), "status": "正常"}, children={"studio_outputs": outputs},
            operation="demo")
    return len(plan)


def _fill_trainings(store: Store, rng: random.Random, county: str, today: dt.date) -> int:
    topics = ("电工技能提升班", "茶叶加工技能培训班", "安全生产知识培训", "农民工职业技能培训", "新型学徒制培训班",
              "焊工岗位练兵", "咖啡师技能培训", "创业能力培训", "电子商务技能培训", "学历提升专班", "护理技能培训")
    count = 60
    for n in range(count):
        year = today.year - 1 if n < 40 else today.year
        last_day = dt.date(year, 12, 31) if year < today.year else today - dt.timedelta(days=1)
        span = (last_day - dt.date(year, 1, 1)).days
        start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, max(span - 5, 0)))
        end = min(start + dt.timedelta(days=rng.randint(0, 5)), last_day)
        participants = rng.randint(20, 400)
        kind = TRAINING_TYPES[n % len(TRAINING_TYPES)]
        certs = [0] * 5
        if kind in ("职业技能培训", "新型学徒制", "岗位练兵"):
            remaining = int(participants * rng.uniform(0.3, 0.8))
            for i, share in enumerate((0.45, 0.3, 0.15, 0.07, 0.03)):
                certs[i] = int(remaining * share)
        funds = round(participants * rng.uniform(0.02, 0.08), 2)
        records.save(store, "trainings", {
            "name": f"{year}年{county}{rng.choice(topics)}（第{n % 4 + 1}期）", "organizer": f"{county}总工会",
            "type": kind, "start_date": start.isoformat(), "end_date": end.isoformat(),
            "participants": participants, "migrant": int(participants * rng.uniform(0, 0.5)),
            "female": int(participants * rng.uniform(0.2, 0.6)),
            "cert_junior": certs[0], "cert_middle": certs[1], "cert_senior": certs[2], "cert_technician": certs[3],
            "cert_senior_technician": certs[4], "funds": funds, "union_funds": round(funds * rng.uniform(0.2, 0.8), 2)},
            operation="demo")
    return count


def _fill_competitions(store: Store, rng: random.Random, county: str, today: dt.date) -> int:
    trades = ("电工", "焊工", "茶艺师", "评茶员", "汽车维修工", "育婴员", "中式烹调师", "咖啡师", "护理")
    count = 15
    for n in range(count):
        year = today.year - 1 if n < 10 else today.year
        last_day = dt.date(year, 12, 31) if year < today.year else today - dt.timedelta(days=1)
        date = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, (last_day - dt.date(year, 1, 1)).days))
        participants = rng.randint(30, 300)
        winners = int(participants * rng.uniform(0.1, 0.3))
        kind = "技能竞赛" if n % 3 else "劳动竞赛"
        trade = rng.choice(trades)
        records.save(store, "competitions", {
            "name": f"{year}年{county}{trade}{'职业技能竞赛' if kind == '技能竞赛' else '劳动竞赛'}",
            "type": kind, "level": COMPETITION_LEVELS[n % 2] if n % 5 else "省级",
            "host": f"{county}总工会、{county}人力资源和社会保障局", "date": date.isoformat(),
            "trades": rng.randint(1, 6), "participants": participants, "winners": winners,
            "promoted": int(winners * rng.uniform(0.3, 0.9)), "experts": rng.randint(0, 3)}, operation="demo")
    return count


def bulk_people(store: Store, count: int, seed: int = 1) -> None:
    """Insert ``count`` valid people with one honour each, fast (for benchmarks and load tests)."""
    from common.pinyin import full, search_key

    rng = random.Random(seed)
    now = dt.datetime.now().isoformat(timespec="seconds")
    start = int(store.scalar("SELECT coalesce(max(id), 0) FROM people")) + 1
    people, honours = [], []
    regions = [d.code for d in divisions.all_divisions() if d.level == "county"]
    for offset in range(count):
        pid = start + offset
        sex = rng.choice("男女")
        name = rng.choice(HAN_SURNAMES) + rng.choice(HAN_GIVEN)
        birth = dt.date(1960 + offset % 40, 1 + offset % 12, 1 + offset % 28)
        number = make_id_number(regions[(offset // 1000) % len(regions)], birth, offset % 1000 + offset // 40000, sex)
        employer = f"第{offset % 500}号企业"
        people.append((pid, name, sex, "汉族", birth.isoformat(), number, employer, "在职", int(offset % 3 == 0),
                       f"{name} {number} {employer} {search_key(name)}".lower(), full(name), now, now))
        honours.append((pid, "县级劳动模范", "劳动模范/先进工作者", "县级", 2000 + offset % 25))
    with store.atomic():
        store.conn.executemany(
            "INSERT OR IGNORE INTO people (id, name, sex, ethnicity, birth_date, id_number, employer, status, frontline, "
            "search, sort_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", people)
        store.conn.executemany(
            "INSERT INTO honours (person_id, title, category, level, award_year) "
            "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM people WHERE id = ?)",
            [(*h, h[0]) for h in honours])
        records.update_search_index(store, "people")


# ------------------------------------------------------------------------------------------------
# Past years: a return finalised for each year (the progress report needs several)

MAX_DEMO_YEARS = 10


def parse_years(text: str) -> list[int]:
    """``2021-2025`` (also ``2021—2025``, ``2021～2025``) or ``2021,2023`` → the years; RecordError naming the text."""
    cleaned = text.strip().replace("—", "-").replace("～", "-").replace("~", "-").replace("，", ",").replace(" ", "")
    try:
        if "-" in cleaned:
            first, last = (int(p) for p in cleaned.split("-", 1))
            years = list(range(first, last + 1))
        else:
            years = sorted({int(p) for p in cleaned.split(",") if p})
    except ValueError:
        raise RecordError(f"年度“{text}”写法不对，请写成 2021-2025 或 2021,2023") from None
    if not years or len(years) > MAX_DEMO_YEARS or years[0] < 2000:
        raise RecordError(f"年度“{text}”不正确（最多{MAX_DEMO_YEARS}个年度，如 2021-2025）")
    return years


def fill_years(store: Store, years: Sequence[int], seed: int = 2025, today: dt.date | None = None) -> dict[int, int]:
    """Training, competitions and innovation totals for each of ``years`` (beside :func:`fill_demo`'s records),
    then each year's annual return finalised, oldest first; returns the version finalised per year.

    Review warnings get a 说明 saying they are demo data, so every year finalises. A consolidating unit
    consolidates what it has received when its year is finalised.
    """
    current = unit.load(store)
    if current is None:
        raise RecordError("尚未设置本单位，无法生成演示数据")
    today = today or dt.date.today()
    if max(years) > today.year:
        raise RecordError(f"{max(years)}年尚未开始，不能生成该年的年报")
    rng = random.Random(seed * 7919 + years[0])
    _region_code, county, _prefecture = _region(current)
    covered = {today.year - 1, today.year}  # fill_demo's training and competitions are in these years
    innovation_years = {int(r["period"]) for r in store.query("SELECT period FROM innovation") if r["period"].isdigit()}
    with store.atomic():
        _leaders_honoured_before(store, min(years) - 1)
        for index, year in enumerate(sorted(years)):
            growth = 0.75 + 0.1 * index  # the numbers grow a little from year to year
            if year not in covered:
                _year_activities(store, rng, county, year, growth)
            if year not in innovation_years:
                suggestions = int(rng.randint(300, 900) * growth)
                records.save(store, "innovation", {
                    "period": str(year), "suggestions": suggestions, "suggestions_adopted": int(suggestions * 0.6),
                    "innovations": rng.randint(40, 120), "inventions": rng.randint(5, 30),
                    "patents": rng.randint(8, 40), "methods": rng.randint(10, 40),
                    "benefit": round(rng.uniform(300, 1500), 2)}, operation="demo")
    return {year: finalise_demo_year(store, year, today) for year in sorted(years)}


def finalise_demo_year(store: Store, year: int, today: dt.date | None = None) -> int:
    """Finalise ``year``'s annual return as of mid-January after it, writing a demo 说明 for each warning."""
    from forms.periods import Period
    from models import review, versions

    day = min(today or dt.date.today(), dt.date(year + 1, 1, 15))
    for _attempt in range(2):
        try:
            return versions.finalise(store, Period(year), today=day).version
        except versions.FinaliseRefused as exc:
            report = exc.report
            if getattr(report, "errors", None):
                raise
            for finding in getattr(report, "missing_notes", []):
                review.set_note(store, Period(year), finding.code, finding.where, "演示数据，已核实。")
    raise RecordError(f"{year}年的演示年报未能定稿")


def _year_activities(store: Store, rng: random.Random, county: str, year: int, growth: float) -> None:
    topics = ("电工技能提升班", "茶叶加工技能培训班", "安全生产知识培训", "农民工职业技能培训", "新型学徒制培训班")
    for n in range(int(30 * growth)):
        start = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 350))
        participants = int(rng.randint(20, 400) * growth)
        kind = TRAINING_TYPES[n % len(TRAINING_TYPES)]
        certs = [0] * 5
        if kind in ("职业技能培训", "新型学徒制", "岗位练兵"):
            remaining = int(participants * rng.uniform(0.3, 0.8))
            certs = [int(remaining * share) for share in (0.45, 0.3, 0.15, 0.07, 0.03)]
        funds = round(participants * rng.uniform(0.02, 0.08), 2)
        records.save(store, "trainings", {
            "name": f"{year}年{county}{rng.choice(topics)}（第{n % 4 + 1}期）", "organizer": f"{county}总工会",
            "type": kind, "start_date": start.isoformat(), "end_date": (start + dt.timedelta(days=3)).isoformat(),
            "participants": participants, "migrant": int(participants * rng.uniform(0, 0.5)),
            "female": int(participants * rng.uniform(0.2, 0.6)),
            "cert_junior": certs[0], "cert_middle": certs[1], "cert_senior": certs[2], "cert_technician": certs[3],
            "cert_senior_technician": certs[4], "funds": funds, "union_funds": round(funds * 0.5, 2)}, operation="demo")
    for n in range(8):
        date = dt.date(year, 1, 1) + dt.timedelta(days=rng.randint(0, 360))
        participants = int(rng.randint(30, 300) * growth)
        winners = int(participants * rng.uniform(0.1, 0.3))
        kind = "技能竞赛" if n % 3 else "劳动竞赛"
        records.save(store, "competitions", {
            "name": f"{year}年{county}第{n + 1}届{'职业技能竞赛' if kind == '技能竞赛' else '劳动竞赛'}",
            "type": kind, "level": COMPETITION_LEVELS[n % 2] if n % 4 else "省级",
            "host": f"{county}总工会", "date": date.isoformat(), "trades": rng.randint(1, 6),
            "participants": participants, "winners": winners, "promoted": int(winners * 0.5),
            "experts": rng.randint(0, 3)}, operation="demo")


def _leaders_honoured_before(store: Store, year: int) -> None:
    """Studio leaders hold the honour their studio requires from ``year`` on (so early years pass the review).

    Written through :func:`models.records.save`, like every other change: checked, and in the history."""
    for studio in store.query("SELECT type, leader_id FROM studios WHERE leader_id IS NOT NULL"):
        required = set(STUDIO_LEADER_REQUIREMENTS.get(studio["type"], ()))
        person = records.get(store, "people", studio["leader_id"]) if required else None
        if person is None:
            continue
        honours = person.pop("honours")
        moved = False
        for honour in honours:
            if honour["category"] in required and (honour["award_year"] or 0) > year:
                honour["award_year"] = year
                honour["award_date"] = f"{year}-06-01" if honour["award_date"] else None
                moved = True
        if moved:
            values = {k: v for k, v in person.items() if k not in ("id", "deleted_at")}
            records.save(store, "people", values, person["id"], children={"honours": honours}, operation="demo")
