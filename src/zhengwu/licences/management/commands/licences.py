"""``manage.py licences import-types FILE | import-licences FILE | reseal``: the admin's imports
from the command line (whole file or nothing), and re-sealing every seal's private key under the
current sealing key after a rotation of LICENCE_SEALING_KEYS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengwu.core.errors import DomainError

from ... import imports, services


class Command(BaseCommand):
    help = "电子证照：导入证照目录、导入存量证照、用现行封存密钥重新封存印章私钥"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        types = sub.add_parser("import-types", help="导入证照目录（.xlsx 或 .csv）")
        types.add_argument("file")
        licences = sub.add_parser("import-licences", help="导入存量证照（.xlsx 或 .csv）")
        licences.add_argument("file")
        sub.add_parser("reseal", help="用现行封存密钥重新封存全部印章私钥")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "reseal":
            count = services.reseal_private_keys()
            self.stdout.write(self.style.SUCCESS(f"已重新封存{count}枚印章的私钥"))
            return
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件 {path}")
        try:
            with path.open("rb") as file:
                if action == "import-types":
                    result = imports.import_types(file, path.name, by=None)
                    note = f"新增{result.created}类，更新{result.updated}类"
                else:
                    note = f"存量证照{imports.import_licences(file, path.name, by=None)}条"
        except imports.ImportFailed as e:
            raise CommandError("导入失败，未导入任何数据：\n" + "\n".join(e.problems)) from None
        except DomainError as e:
            raise CommandError(e.message) from None
        self.stdout.write(self.style.SUCCESS(f"已导入{path.name}：{note}"))
