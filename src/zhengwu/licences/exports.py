"""The issuing department's licence list as Excel (``core.excel.ExcelWriter``: no cell is ever a
formula). The caller passes a queryset already scoped to what the user may see; holder codes are
masked unless the user may see personal data."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from zhengwu.core.excel import Column, ExcelWriter
from zhengwu.core.validators import mask_id_number

from .models import HolderKind, Licence

MAX_ROWS = 50_000
COLUMNS: tuple[Column, ...] = (
    Column("证照标识", 60, text=True),
    Column("证照名称", 24),
    Column("证照编号", 24, text=True),
    Column("版本号", 8),
    Column("颁发机构", 24),
    Column("颁发日期", 12),
    Column("有效期起始", 12),
    Column("有效期截止", 12),
    Column("持证主体", 24),
    Column("持证主体代码", 22, text=True),
    Column("状态", 10),
    Column("状态原因", 30),
    Column("存量导入", 8),
)


def _state(licence: Licence, today: Any) -> str:
    if licence.state == "valid" and licence.expired_on(today):
        return "已过期"
    return licence.get_state_display()


def licences_xlsx(qs: QuerySet[Licence], *, user: Any) -> bytes:
    personal = user.has_perm("accounts.view_personal_data")
    today = timezone.localdate()
    wb = ExcelWriter()
    sheet = wb.sheet("电子证照", COLUMNS, auto_filter=True)
    count = 0
    for lic in qs.select_related("licence_type", "issuer")[:MAX_ROWS].iterator(chunk_size=500):
        count += 1
        code = lic.holder_code
        if not personal and lic.holder_kind == HolderKind.PERSON:
            code = mask_id_number(code)
        sheet.append(
            [
                lic.identifier,
                lic.licence_type.name,
                lic.number,
                lic.version,
                lic.issuer.name,
                lic.issued_on.isoformat(),
                lic.valid_from.isoformat(),
                lic.valid_until.isoformat() if lic.valid_until else "长期",
                lic.holder_name,
                code,
                _state(lic, today),
                lic.state_reason,
                "是" if lic.imported else "否",
            ]
        )
    if count >= MAX_ROWS:
        sheet.note(f"仅导出前 {MAX_ROWS} 条，请缩小筛选范围后分批导出")
    return wb.to_bytes()
