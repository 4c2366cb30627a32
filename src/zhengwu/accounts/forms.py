"""Forms of the applicant's sign-up (注册). They check shape — filled in, not too long, the two
passwords the same; the rules (check digits, phone numbers, password strength, a number already
registered) are signup.py's and come back as DomainError, placed on the field they name."""

from __future__ import annotations

from typing import Any

from django import forms

from zhengwu.core.errors import DomainError


def place_error(form: forms.Form, exc: DomainError) -> None:
    """Show a refusal next to the field it names, or at the top of the form."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _text(label: str, max_length: int, **attrs: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        widget=forms.TextInput(attrs=attrs),
        error_messages={"required": f"请填写{label}", "max_length": f"{label}不能超过{max_length}个字"},
    )


class _PasswordForm(forms.Form):
    password = forms.CharField(
        label="密码",
        strip=False,
        help_text="至少8位，不能全是数字，不能与姓名、号码相近，也不能是常见密码",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请设置密码"},
    )
    password_again = forms.CharField(
        label="再次输入密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "请再次输入密码"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "两次输入的密码不一致")
        return data


class PersonSignUpForm(_PasswordForm):
    """自然人注册."""

    name = _text("姓名", 50, autocomplete="name")
    id_number = _text("公民身份号码", 18, autocomplete="off", inputmode="text")
    phone = _text("手机号", 11, autocomplete="tel", inputmode="tel")

    field_order = ["name", "id_number", "phone", "password", "password_again"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["id_number"].help_text = "18位，最后一位可能是X；注册后用它登录"


class EnterpriseSignUpForm(_PasswordForm):
    """法人注册: the account belongs to the enterprise's 经办人."""

    name = _text("单位名称", 200, autocomplete="organization")
    uscc = _text("统一社会信用代码", 18, autocomplete="off")
    legal_representative = _text("法定代表人", 50, autocomplete="off")
    agent_name = _text("经办人姓名", 50, autocomplete="name")
    agent_phone = _text("经办人手机号", 11, autocomplete="tel", inputmode="tel")

    field_order = [
        "name",
        "uscc",
        "legal_representative",
        "agent_name",
        "agent_phone",
        "password",
        "password_again",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["uscc"].help_text = "18位，见营业执照；注册后用它登录"
