"""Shapes of the statistics API's answers (/api/analytics/…), for the OpenAPI schema and for
rendering. The API builds plain dictionaries from figures.py; these serializers only say what each
field is. A value is a JSON number (null when a rate or an average has nothing to divide by, or
when the period lies before the data), with its display text beside it ("—" for null)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


def _number(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=None, decimal_places=None, coerce_to_string=False, allow_null=True, **kwargs
    )


class StatisticsPeriodSerializer(serializers.Serializer[Any]):
    value = serializers.CharField(help_text="期间，如 2026-06-10、2026-W24、2026-06、2026-Q2、2026")
    kind = serializers.ChoiceField(
        choices=[("day", "日"), ("week", "周"), ("month", "月"), ("quarter", "季度"), ("year", "年")]
    )
    label = serializers.CharField(help_text="期间的中文名称，如 2026年6月")  # type: ignore[assignment]  # a field named like Field.label
    start = serializers.DateField(help_text="第一天")
    end = serializers.DateField(help_text="最后一天的次日（不含）")


class StatisticsScopeSerializer(serializers.Serializer[Any]):
    label = serializers.CharField(help_text="统计范围：全市、区划名称或部门名称")  # type: ignore[assignment]  # a field named like Field.label
    sees_all = serializers.BooleanField(help_text="查看人能否查看所有部门")
    department = serializers.IntegerField(allow_null=True, help_text="限定的部门编号")
    region = serializers.IntegerField(allow_null=True, help_text="限定的区划编号")


class IndicatorSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="指标代码，用于 indicators 参数")
    name = serializers.CharField(help_text="指标名称")
    family = serializers.CharField(help_text="指标类别：办件、12345、好差评、大厅")
    unit = serializers.CharField(help_text="单位")
    kind = serializers.ChoiceField(
        choices=[("count", "计数"), ("rate", "比率"), ("average", "平均值")], help_text="指标类型"
    )
    definition = serializers.CharField(help_text="口径说明")
    formula = serializers.CharField(help_text="计算公式")
    public = serializers.BooleanField(help_text="是否向公众公开")
    higher_is_better = serializers.BooleanField(help_text="数值越高越好")
    measures = serializers.ListField(child=serializers.CharField(), help_text="计算所用的度量代码（可下钻）")
    dims = serializers.ListField(child=serializers.CharField(), help_text="可细分的维度")


class IndicatorListSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    results = IndicatorSerializer(many=True)


class IndicatorFigureSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="指标代码")
    name = serializers.CharField(help_text="指标名称")
    unit = serializers.CharField()
    kind = serializers.CharField()
    value = _number(help_text="本期数值；比率或平均值没有分母时为 null")
    display = serializers.CharField(help_text="本期数值的显示文本，无数值为“—”")
    previous = _number(help_text="上一期（环比）数值；上一期早于数据起始日时为 null")
    last_year = _number(help_text="上年同期（同比）数值；早于数据起始日时为 null")
    change = _number(help_text="环比变化：比率为百分点，其余为百分比")
    change_last_year = _number(help_text="同比变化：比率为百分点，其余为百分比")
    measure = serializers.CharField(help_text="本期数值可下钻的度量代码（指标的分子）")


class FiguresResponseSerializer(serializers.Serializer[Any]):
    period = StatisticsPeriodSerializer()
    previous_period = StatisticsPeriodSerializer(help_text="环比的期间")
    last_year_period = StatisticsPeriodSerializer(help_text="同比的期间")
    scope = StatisticsScopeSerializer()
    as_of = serializers.DateTimeField(allow_null=True, help_text="数据汇总截至时间")
    results = IndicatorFigureSerializer(many=True)


class BreakdownIndicatorSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    measure = serializers.CharField(help_text="下钻用的度量代码（分子）")


class BreakdownRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(
        help_text="维度取值：部门编号（0 为未归属部门）、区划编号（city 为市级）或维度代码"
    )
    label = serializers.CharField(help_text="名称")  # type: ignore[assignment]  # a field named like Field.label
    values = serializers.DictField(child=_number(), help_text="指标代码 → 数值")
    display = serializers.DictField(child=serializers.CharField(), help_text="指标代码 → 显示文本")


class BreakdownResponseSerializer(serializers.Serializer[Any]):
    by = serializers.CharField(help_text="细分维度")
    by_label = serializers.CharField(help_text="细分维度的中文名称")
    period = StatisticsPeriodSerializer()
    scope = StatisticsScopeSerializer()
    as_of = serializers.DateTimeField(allow_null=True)
    indicators = BreakdownIndicatorSerializer(many=True)
    rows = BreakdownRowSerializer(many=True)


class SeriesBucketSerializer(serializers.Serializer[Any]):
    period = StatisticsPeriodSerializer(help_text="分段：日或月")
    values = serializers.DictField(
        child=_number(), help_text="指标代码 → 数值；分段早于数据起始日或尚未开始时为 null"
    )


class SeriesResponseSerializer(serializers.Serializer[Any]):
    period = StatisticsPeriodSerializer()
    scope = StatisticsScopeSerializer()
    as_of = serializers.DateTimeField(allow_null=True)
    indicators = BreakdownIndicatorSerializer(many=True)
    buckets = SeriesBucketSerializer(many=True)


class RecordDepartmentSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="部门编号，0 为未归属部门")
    name = serializers.CharField()


class StatisticsRecordSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="记录编号")
    number = serializers.CharField(help_text="办件编号、工单号等")
    title = serializers.CharField(help_text="简要标题（事项名称或诉求标题，不含个人信息）")
    department = RecordDepartmentSerializer()
    at = serializers.DateTimeField(help_text="度量计时的时间（如受理时间、办结时间）")
    value = _number(help_text="求和度量中这条记录的数值；计数度量为 1")
    url = serializers.CharField(help_text="记录详情页地址（可能为空）")


class MeasureSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    definition = serializers.CharField()
    counts_records = serializers.BooleanField(help_text="计数度量：数值即记录条数")


class RecordsResponseSerializer(serializers.Serializer[Any]):
    measure = MeasureSerializer()
    period = StatisticsPeriodSerializer()
    scope = StatisticsScopeSerializer()
    dim = serializers.CharField(help_text="细分维度（空为合计）")
    key = serializers.CharField(help_text="维度取值")
    figure = _number(help_text="汇总表中的数值（计数度量等于 count）")
    as_of = serializers.DateTimeField(allow_null=True)
    count = serializers.IntegerField(help_text="记录条数")
    page = serializers.IntegerField()
    pages = serializers.IntegerField()
    page_size = serializers.IntegerField()
    next = serializers.CharField(allow_null=True, help_text="下一页地址")
    previous = serializers.CharField(allow_null=True, help_text="上一页地址")
    results = StatisticsRecordSerializer(many=True)
