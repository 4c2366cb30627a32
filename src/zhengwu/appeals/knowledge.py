"""知识库: answers operators give on the spot (咨询导办) and citizens read as self-help.

Chinese has no spaces between words, so the index is made of character bigrams (“社保卡补办” →
社保 保卡 卡补 补办); Latin words and numbers stay whole. ``search_text`` holds those tokens, built
by ``save_entry`` whenever an entry is written (the admin calls it too, see knowledge_admin.py).

``search`` runs ONE query — valid entries whose index contains any of the query's tokens — and
ranks the candidates in Python by how much of the query they cover, weighting rare tokens above
common ones (IDF over the candidates) and matches in the question above matches in the answer.
With a few thousand entries that is a few milliseconds; a city with far more would move this to
PostgreSQL full-text search with a Chinese parser (zhparser) behind the same function.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from zhengwu.core.errors import InvalidInput

from .models import KnowledgeEntry

MAX_QUERY = 200
MAX_QUERY_TOKENS = 40
# Bigrams that occur in almost every question and say nothing about its subject: ignored in
# queries (a query of nothing else finds nothing).
STOP = frozenset(
    {
        *("怎么", "么办", "怎样", "如何", "什么", "为什", "哪里", "哪些", "需要", "可以", "办理"),
        *("请问", "是否", "我的", "我们", "你们", "一下", "这个", "那个"),
        *("吗", "呢", "的", "了", "要", "是", "在", "有", "和", "与", "及", "或"),
    }
)
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def tokens(text: str) -> list[str]:
    """Character bigrams of each run of Chinese characters (a lone character stays itself) and
    whole Latin words/numbers, lower-cased and width-normalised; duplicates dropped, order kept."""
    text = _normal(text)
    out: dict[str, None] = {}
    for run in _RUN.findall(text):
        if run.isascii() or len(run) == 1:
            out[run] = None
        else:
            for i in range(len(run) - 1):
                out[run[i : i + 2]] = None
    return list(out)


def index_text(*parts: str) -> str:
    return " ".join(tokens(" ".join(parts)))


@transaction.atomic
def save_entry(
    entry: KnowledgeEntry,
    *,
    items: Iterable[Any] | None = None,
    departments: Iterable[Any] | None = None,
) -> KnowledgeEntry:
    """Create or update a knowledge entry, rebuilding its search index."""
    entry.question = (entry.question or "").strip()
    entry.answer = (entry.answer or "").strip()
    entry.keywords = (entry.keywords or "").strip()
    if not entry.question:
        raise InvalidInput("请填写问题", field="question")
    if len(entry.question) > 200:
        raise InvalidInput("问题不能超过200个字", field="question")
    if not entry.answer:
        raise InvalidInput("请填写答复", field="answer")
    if entry.valid_from and entry.valid_until and entry.valid_until < entry.valid_from:
        raise InvalidInput("失效日期不能早于生效日期", field="valid_until")
    entry.search_text = index_text(entry.question, entry.keywords, entry.answer)
    entry.save()
    if items is not None:
        entry.items.set(items)
    if departments is not None:
        entry.departments.set(departments)
    return entry


def in_force(*, public_only: bool, today: date | None = None) -> Any:
    """Entries valid on ``today`` (and public, for the public)."""
    today = today or timezone.localdate()
    qs = KnowledgeEntry.objects.filter(
        Q(valid_from__isnull=True) | Q(valid_from__lte=today),
        Q(valid_until__isnull=True) | Q(valid_until__gte=today),
    )
    return qs.filter(is_public=True) if public_only else qs


@dataclass(frozen=True)
class Hit:
    entry: KnowledgeEntry
    score: float


def search(
    query: str, *, public_only: bool, today: date | None = None, limit: int = 10, min_score: float = 0.3
) -> list[Hit]:
    """Entries in force that match ``query``, best first. ``public_only`` for citizens; staff see
    internal entries too. Expired entries (valid_until < today) and those not yet valid are never
    returned."""
    wanted = tokens((query or "")[:MAX_QUERY])
    wanted = [t for t in wanted if t not in STOP][:MAX_QUERY_TOKENS]
    if not wanted:
        return []
    any_token = Q()
    for t in wanted:
        any_token |= Q(search_text__contains=t)
    candidates = list(
        in_force(public_only=public_only, today=today)
        .filter(any_token)
        .only("id", "question", "answer", "keywords", "search_text", "valid_until", "is_public")
    )
    # Substring tests on the space-padded index are much cheaper than building a set per entry.
    padded = [(t, f" {t} ") for t in wanted]
    matches = []
    for e in candidates:
        index = f" {e.search_text} "
        matched = [t for t, p in padded if p in index]
        if matched:  # else only a substring of a longer token matched in SQL
            matches.append((e, matched))
    if not matches:
        return []
    df = Counter(t for _, matched in matches for t in matched)
    n = len(matches)
    weight = {t: math.log(1 + (n + 1) / (1 + df[t])) for t in wanted}
    # A token no entry has (a typo, filler like 我想问) counts half: long questions typed by a
    # person should not bury the entry that matches their subject.
    total = sum(w if df[t] else w / 2 for t, w in weight.items())
    hits = []
    for e, matched in matches:
        head = _normal(f"{e.question} {e.keywords}")
        covered = sum(weight[t] for t in matched) / total
        in_question = sum(weight[t] for t in matched if t in head) / total
        score = covered + 0.5 * in_question
        if score >= min_score:
            hits.append(Hit(e, round(score, 4)))
    hits.sort(key=lambda h: (-h.score, len(h.entry.question), h.entry.pk))
    return hits[:limit]


# ---------------------------------------------------------------------------------------------
# Demo content: ~20 realistic entries for 示范市. Idempotent (matched by question).
# ---------------------------------------------------------------------------------------------

DEMO_ENTRIES: list[dict[str, Any]] = [
    {
        "question": "社会保障卡丢了怎么补办？",
        "keywords": "社保卡 挂失 补办 补卡 丢失",
        "answer": "先挂失：拨打12333、登录“示范市人社”公众号或到任一社保卡服务网点办理临时挂失。再补办：本人携带有效身份证件到社保卡服务网点或合作银行网点申请补卡，现场制卡的网点可即时领取；非即时制卡的约10个工作日后领取。补卡工本费按规定收取，低保对象等困难群体免收。",
        "items": ["社会保障卡申领"],
        "departments": ["示范市人力资源和社会保障局"],
    },
    {
        "question": "第一次申领社会保障卡需要什么材料？",
        "keywords": "社保卡 申领 首次 办卡",
        "answer": "已参加社会保险的人员，凭本人有效身份证件即可到社保卡服务网点或合作银行网点申领；16周岁以下由监护人携带户口簿和监护人身份证代办。也可在“示范市人社”公众号在线申领，制卡后邮寄到家。",
        "items": ["社会保障卡申领"],
        "departments": ["示范市人力资源和社会保障局"],
    },
    {
        "question": "住房公积金怎么提取？",
        "keywords": "公积金 提取 取钱 租房 购房",
        "answer": "购买、建造、翻建、大修自住住房，偿还购房贷款本息，租房自住，离休退休，完全丧失劳动能力并与单位终止劳动关系等情形可以提取。租房提取每年可办一次，本人在示范市无自有住房即可，无需租房合同；其他情形需提供购房合同、贷款合同或退休证明等材料。可在公积金中心网上大厅、手机公积金App或任一服务网点办理，资料齐全的当场办结。",
        "departments": ["示范市住房公积金管理中心"],
    },
    {
        "question": "离职后住房公积金可以取出来吗？",
        "keywords": "公积金 离职 辞职 销户 提取",
        "answer": "单纯离职不能提取。与单位终止劳动关系后，户籍不在示范市且在异地未继续缴存、账户封存满半年的，可以销户提取；在示范市重新就业的，由新单位办理转移接续即可。",
        "departments": ["示范市住房公积金管理中心"],
    },
    {
        "question": "用公积金贷款买房需要满足什么条件？",
        "keywords": "公积金贷款 购房 贷款 首付",
        "answer": "连续足额缴存住房公积金满6个月，本人及配偶没有未还清的公积金贷款，购买示范市行政区域内自住住房。首套房首付款比例不低于20%，第二套不低于30%。可贷额度与账户余额、缴存年限和还款能力挂钩，最高不超过60万元（双职工）。",
        "items": ["住房公积金个人住房贷款"],
        "departments": ["示范市住房公积金管理中心"],
    },
    {
        "question": "出生医学证明在哪里办？丢了能补吗？",
        "keywords": "出生医学证明 出生证 新生儿 补发",
        "answer": "首次签发：在孩子出生的助产医院办理，父母双方携带身份证，出院前或出院后一个月内领取。遗失补发：仅限在示范市出生的，由父母持身份证、户口簿到出生医院所在县区的签发机构申请，经核实后补发。出生医学证明是办理户口登记的必要材料，请妥善保管。",
        "items": ["出生医学证明首次签发"],
        "departments": ["示范市卫生健康委员会"],
    },
    {
        "question": "新生儿怎么上户口？",
        "keywords": "新生儿 落户 户口 出生登记 上户口",
        "answer": "孩子出生后一个月内，由父母一方携带出生医学证明、父母双方身份证、户口簿和结婚证到户籍所在地派出所申报出生登记；可通过“新生儿出生一件事”一次申请出生医学证明、户口登记、医保参保和社保卡。",
        "items": ["户口登记（出生）"],
        "departments": ["示范市公安局"],
    },
    {
        "question": "个人开公司怎么办营业执照？",
        "keywords": "营业执照 开公司 企业开办 设立登记 注册公司",
        "answer": "通过示范市企业开办“一网通办”平台在线填报，营业执照、公章刻制、发票申领、社保和公积金登记一次申请，全程不超过1个工作日。材料齐全的可选择邮寄营业执照和公章，零费用。需要准备：公司名称、住所证明、股东和法定代表人身份证、公司章程（平台可生成）。",
        "items": ["设立登记（有限责任公司）"],
        "departments": ["示范市市场监督管理局"],
    },
    {
        "question": "个体工商户营业执照怎么办理？",
        "keywords": "个体户 个体工商户 营业执照 开店",
        "answer": "经营者本人携带身份证和经营场所证明，在政务服务网或政务服务大厅市场监管窗口申请，材料齐全当场办结，不收费。从事食品经营等需要许可的，同时申请相关许可。",
        "items": ["设立登记（个体工商户）"],
        "departments": ["示范市市场监督管理局"],
    },
    {
        "question": "营业执照丢了怎么办？",
        "keywords": "营业执照 遗失 补领 补发 丢失",
        "answer": "在国家企业信用信息公示系统发布遗失声明（免费），然后持法定代表人身份证到市场监管窗口或在政务服务网申请补领，当场办结。已领取电子营业执照的，可继续使用电子营业执照办理大多数业务。",
        "departments": ["示范市市场监督管理局"],
    },
    {
        "question": "二手房买卖怎么办理不动产登记（过户）？",
        "keywords": "不动产 过户 房产证 二手房 转移登记",
        "answer": "买卖双方先办理存量房买卖合同网签备案，然后到不动产登记中心综合窗口“一窗受理”，同时缴纳契税、办理转移登记和水电气过户。需要：双方身份证、不动产权证书、网签合同，已婚的提供结婚证。材料齐全的当日可领取新的不动产权证书。",
        "items": ["不动产转移登记（存量房买卖）", "存量房买卖合同网签备案"],
        "departments": ["示范市自然资源和规划局"],
    },
    {
        "question": "新房交房后多久能拿到不动产权证书？",
        "keywords": "不动产权证 房产证 新房 办证 交房即交证",
        "answer": "示范市推行“交房即交证”：开发企业在交房时同步办理首次登记和转移登记的，购房人交房当天即可领证。未纳入的项目，开发企业完成首次登记后，购房人持购房合同、身份证和完税凭证申请转移登记，5个工作日内办结。",
        "departments": ["示范市自然资源和规划局"],
    },
    {
        "question": "外地人在示范市怎么办居住证？",
        "keywords": "居住证 暂住证 外来人口 积分",
        "answer": "离开常住户口所在地到示范市居住满半年，且有合法稳定就业、合法稳定住所或连续就读条件之一的，可到居住地派出所或在“示范公安”App申领居住证。需要：身份证、近期照片（可现场采集）、住所证明（租房合同或房产证明）和就业或就读证明。受理后15日内制证。",
        "items": ["居住证申领"],
        "departments": ["示范市公安局"],
    },
    {
        "question": "居住证到期了怎么续签？",
        "keywords": "居住证 签注 续签 到期",
        "answer": "居住证每年签注一次，在有效期满前一个月内到居住地派出所或通过“示范公安”App办理签注，需提供仍在本市居住、就业或就读的证明。逾期未签注的，需重新申领。",
        "items": ["居住证申领"],
        "departments": ["示范市公安局"],
    },
    {
        "question": "孩子上小学怎么报名？",
        "keywords": "入学 报名 小学 一年级 学区",
        "answer": "每年5月至6月在“示范市义务教育招生”平台网上报名，按户籍和房产所在学区划片入学。需要：户口簿、不动产权证书或购房合同、预防接种证查验证明；随迁子女还需居住证和父母就业证明。具体时间以教育局当年公告为准。",
        "items": ["义务教育阶段新生入学报名"],
        "departments": ["示范市教育局"],
    },
    {
        "question": "失业了可以领失业金吗？怎么申请？",
        "keywords": "失业金 失业保险 失业登记 领取",
        "answer": "失业前单位和本人已按规定缴纳失业保险费满1年、非因本人意愿中断就业、已办理失业登记并有求职要求的，可以领取失业保险金。在“示范市人社”公众号或任一人社服务窗口申请，身份证即可，审核通过后按月发放到社保卡金融账户。",
        "items": ["失业保险金申领", "失业登记"],
        "departments": ["示范市人力资源和社会保障局"],
    },
    {
        "question": "灵活就业人员怎么交养老保险？",
        "keywords": "灵活就业 养老保险 个人缴费 社保",
        "answer": "在示范市从事个体经营或灵活就业的，凭身份证到人社窗口或在“示范市人社”公众号办理灵活就业人员参保登记，缴费基数在全省上年度社平工资60%至300%之间自选，通过税务App或银行按月或按年缴纳。",
        "items": ["灵活就业人员参加企业职工基本养老保险登记"],
        "departments": ["示范市人力资源和社会保障局"],
    },
    {
        "question": "城乡居民医保怎么参保缴费？",
        "keywords": "医保 居民医保 参保 缴费 医疗保险",
        "answer": "每年9月至12月集中缴纳下一年度城乡居民医保费，可在“示范市税务”微信公众号、手机银行或社区代收点缴纳。新生儿出生后90天内参保缴费的，自出生之日起享受待遇。",
        "items": ["城乡居民基本医疗保险参保登记"],
        "departments": ["示范市医疗保障局"],
    },
    {
        "question": "结婚登记需要带什么？",
        "keywords": "结婚登记 领证 结婚证 民政",
        "answer": "双方本人共同到婚姻登记机关，携带本人身份证和户口簿（全国推行“跨省通办”的可仅凭身份证）、3张2寸近期半身免冠合影照片（可现场拍照）。婚姻登记不收费，可在“示范市民政”公众号预约。",
        "items": ["内地居民结婚登记"],
        "departments": ["示范市民政局"],
    },
    {
        "question": "房屋卖了，水电气怎么过户？",
        "keywords": "过户 水电气 供水 供电 燃气 二手房",
        "answer": "办理不动产转移登记时，在登记中心综合窗口勾选“水电气过户联办”，无需再分别跑供水、供电、燃气营业厅；登记完成后各单位自动办理过户。未联办的，新业主持不动产权证书和身份证到各营业厅或在其App办理。",
        "items": ["供水过户", "供电过户", "供气过户"],
        "departments": ["示范市供水公司", "国网示范市供电公司", "示范市燃气公司"],
    },
    {
        "question": "12345热线反映的问题多久能答复？怎么查询进度？",
        "keywords": "12345 热线 答复 时限 查询 进度 工单",
        "answer": "一般诉求在5个工作日内答复，复杂诉求15个工作日内答复，紧急诉求即时转办。提交后会得到工单号和查询码，可在政务服务网“我要反映”—“查询进度”输入工单号和查询码查看办理进度和答复，办结后可以评价。",
    },
    {
        "question": "投诉举报可以匿名吗？会不会泄露我的信息？",
        "keywords": "匿名 举报 投诉 保密 个人信息",
        "answer": "举报可以匿名，匿名后不留姓名和电话，无法收到答复短信和回访，请记下工单号和查询码自行查询。实名反映的，可以勾选“为我保密”，承办部门将看不到您的姓名和电话，由12345平台负责联系您。",
        "is_public": True,
    },
    {
        "question": "工作人员：咨询类来电直接答复办结的口径",
        "keywords": "咨询导办 口径 内部 直接答复",
        "answer": "政策咨询类来电，知识库有现行有效答复的，受理员当场答复并选择“咨询导办”办结；知识库没有或已失效的，按分办转办派至主管部门，并提醒知识库管理员补充。",
        "is_public": False,
    },
]


def load_demo_knowledge() -> int:
    """Create the demo entries that are not there yet (matched by question) and link them to the
    demo catalogue's items and departments when those exist. Returns how many were created."""
    from zhengwu.catalog.selectors import published_items
    from zhengwu.org.models import Department

    created = 0
    existing = set(KnowledgeEntry.objects.values_list("question", flat=True))
    for spec in DEMO_ENTRIES:
        if spec["question"] in existing:
            continue
        entry = KnowledgeEntry(
            question=spec["question"],
            answer=spec["answer"],
            keywords=spec.get("keywords", ""),
            is_public=spec.get("is_public", True),
        )
        save_entry(
            entry,
            items=published_items().filter(name__in=spec.get("items", [])),
            departments=Department.objects.filter(name__in=spec.get("departments", [])),
        )
        created += 1
    return created
