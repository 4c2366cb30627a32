"""Form pieces every matter's public pages share: a field taking several files, and the form that
finds a matter by its number and query code (查询码). Each part names its own matter: an appeal's
工单号, an application's 办件编号."""

from __future__ import annotations

from typing import Any

from django import forms


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class TrackForm(forms.Form):
    """A matter's number and query code, as a person types them: spaces around either are dropped
    and the number is read in capitals. Made for one kind of matter by ``track_form``."""

    def clean_number(self) -> str:
        return str(self.cleaned_data["number"]).strip().upper()

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip()


def track_form(*, noun: str, example: str, max_length: int) -> type[TrackForm]:
    """The track form of one kind of matter. ``noun``: what its number is called (工单号); ``example``:
    a number shown as the placeholder; ``max_length``: the longest number accepted. A wrong length
    says only that the pair is wrong, as a wrong pair does, so the form reveals nothing more."""
    wrong = f"{noun}或查询码不正确"

    class Form(TrackForm):
        number = forms.CharField(
            label=noun,
            max_length=max_length,
            widget=forms.TextInput(attrs={"placeholder": f"例如 {example}", "autocomplete": "off"}),
            error_messages={"required": f"请填写{noun}", "max_length": wrong},
        )
        code = forms.CharField(
            label="查询码",
            max_length=20,
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
            error_messages={"required": "请填写查询码", "max_length": wrong},
        )

    Form.__name__ = Form.__qualname__ = "TrackForm"
    return Form
