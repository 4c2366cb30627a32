import pytest
from django.core.exceptions import ValidationError

from zhengwu.core.validators import mask_id_number, mask_phone, validate_id_number, validate_uscc

from ..factories import make_id_number, make_uscc


def _message(fn, value):
    with pytest.raises(ValidationError) as info:
        fn(value)
    return info.value.messages[0]


class TestIdNumber:
    def test_valid_number_with_x_check_digit(self):
        validate_id_number("11010519491231002X")
        validate_id_number("11010519491231002x")

    def test_wrong_check_digit(self):
        assert "校验码错误" in _message(validate_id_number, "110105194912310021")

    def test_wrong_length(self):
        assert _message(validate_id_number, "1101051949123100") == "公民身份号码应为18位，实际为16位"

    def test_impossible_birth_date(self):
        assert "出生日期 19490230 不是有效日期" in _message(
            validate_id_number, make_id_number(1, birth="19490230")
        )

    def test_birth_date_in_the_future(self):
        assert "晚于今天" in _message(validate_id_number, make_id_number(1, birth="20991231"))

    def test_unknown_birth_place(self):
        assert "行政区划代码" in _message(validate_id_number, make_id_number(1, area="990105"))

    def test_letters_in_the_body(self):
        assert "前17位应为数字" in _message(validate_id_number, "1101051949A231002X")


class TestUscc:
    def test_valid(self):
        validate_uscc(make_uscc(42))
        validate_uscc("91110000600037341L")

    def test_wrong_check_character(self):
        good = make_uscc(42)
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        assert "校验码错误" in _message(validate_uscc, bad)

    def test_wrong_length(self):
        assert _message(validate_uscc, "91110000600037341") == "统一社会信用代码应为18位，实际为17位"

    def test_forbidden_letter(self):
        assert "不允许的字符" in _message(validate_uscc, "91110000600037341I")


def test_masking():
    assert mask_id_number("410102199003071234") == "4101**********1234"
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number("") == ""
