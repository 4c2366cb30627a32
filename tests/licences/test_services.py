from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhengwu.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from zhengwu.licences import crypto, identifiers, services
from zhengwu.licences.models import Licence, LicenceState, Seal


def test_issue_signs_the_canonical_data_and_the_identifier_checks(make_licence, issuer, licence_type):
    licence = make_licence()
    assert identifiers.parse(licence.identifier).serial == licence.serial
    assert licence.identifier.startswith(f"1.2.156.3005.2.{licence_type.code}.{issuer.uscc}.2026")
    assert licence.valid_until == dt.date(2031, 6, 9)
    data = services.metadata(licence)
    assert data["照面"] == {"住址": "示范市中原路1号"}
    assert licence.digest == crypto.sm3(services.canonical(data)).hex()
    assert crypto.verify(
        licence.seal.public_key.encode(),
        services.statement(licence.identifier, licence.digest),
        bytes(licence.signature),
    )


def test_serials_count_up_per_issuer_and_year(make_licence):
    first, second = make_licence(), make_licence()
    assert (first.serial, second.serial) == ("202600000001", "202600000002")


def test_verification_by_identifier_and_qr_is_valid(make_licence):
    licence = make_licence()
    by_id = services.verify_identifier(licence.identifier)
    by_qr = services.verify_qr(services.qr_text(licence))
    assert (by_id.outcome, by_qr.outcome) == ("valid", "valid")
    assert all(ok for _, ok, _ in by_qr.checks)


def test_one_changed_character_of_the_qr_signature_is_detected(make_licence):
    text = services.qr_text(make_licence())
    head, _, sig = text.rpartition("&s=")
    forged = head + "&s=" + ("A" if sig[5] != "A" else "B").join([sig[:5], sig[6:]])
    assert services.verify_qr(forged).outcome == "invalid_signature"


def test_a_qr_with_another_digest_is_refused(make_licence):
    licence = make_licence()
    text = services.qr_text(licence).replace("d=", "d=A", 1)
    with pytest.raises(InvalidInput):
        services.verify_qr(text)


def test_a_changed_record_in_the_registry_no_longer_verifies(make_licence):
    licence = make_licence()
    Licence.objects.filter(pk=licence.pk).update(holder_name="王五")
    assert services.verify_identifier(licence.identifier).outcome == "invalid_signature"


def test_unknown_and_malformed_identifiers(make_licence):
    licence = make_licence()
    with pytest.raises(InvalidInput):
        services.verify_identifier(licence.identifier[:-1] + ("0" if licence.identifier[-1] != "0" else "1"))
    other = str(identifiers.parse(licence.identifier).next_version())
    with pytest.raises(NotFound):
        services.verify_identifier(other)


def test_change_makes_a_new_version_that_supersedes(make_licence, make_user, issuer):
    licence = make_licence()
    clerk = make_user("approver", department=issuer)
    new = services.change(
        licence=licence, by=clerk, surface={"address": "示范市人民路2号"}, reason="住址变更"
    )
    licence.refresh_from_db()
    assert (new.version, new.serial, licence.state) == (2, licence.serial, LicenceState.SUPERSEDED)
    assert new.identifier.split(".")[-2] == "002"
    result = services.verify_qr(services.qr_text(licence))
    assert result.outcome == "superseded" and new.identifier in result.label
    assert services.verify_identifier(new.identifier).outcome == "valid"


def test_only_the_issuer_revokes_and_a_revoked_licence_says_so(make_licence, make_user):
    licence = make_licence()
    with pytest.raises(NotAllowed):
        services.end(licence=licence, by=make_user("approver"), state=LicenceState.REVOKED, reason="违法经营")
    clerk = make_user("approver", department=licence.issuer)
    services.end(licence=licence, by=clerk, state="revoked", reason="违法经营")
    assert services.verify_qr(services.qr_text(licence)).outcome == "revoked"
    with pytest.raises(Conflict):
        services.end(licence=licence, by=clerk, state="cancelled", reason="再注销")


def test_expiry_is_computed(make_licence):
    licence = make_licence(valid_until=dt.date(2026, 6, 30))
    assert services.verify_identifier(licence.identifier, today=dt.date(2026, 7, 1)).outcome == "expired"
    assert services.verify_identifier(licence.identifier, today=dt.date(2026, 6, 30)).outcome == "valid"


def test_rotation_keeps_old_licences_verifiable(make_licence, issuer):
    old = make_licence()
    new_seal = services.make_seal(department=issuer, by=None)
    assert Seal.objects.get(pk=old.seal_id).retired_at is not None
    new = make_licence()
    assert new.seal == new_seal and old.seal != new_seal
    assert services.verify_qr(services.qr_text(old)).outcome == "valid"
    assert services.verify_qr(services.qr_text(new)).outcome == "valid"


def test_resealing_under_a_new_sealing_key(make_licence, issuer, settings):
    old_key = settings.LICENCE_SEALING_KEYS
    settings.LICENCE_SEALING_KEYS = f"{crypto.new_sealing_key('k2027')},{old_key}"
    services._private_key.cache_clear()
    assert services.reseal_private_keys() >= 1
    settings.LICENCE_SEALING_KEYS = settings.LICENCE_SEALING_KEYS.split(",")[0]
    services._private_key.cache_clear()
    assert services.verify_qr(services.qr_text(make_licence())).outcome == "valid"


def test_share_links_expire(make_licence, make_user, time_machine):
    licence = make_licence()
    share, token = services.grant_share(
        licence=licence, by=make_user(), organisation="示范银行", purpose="开户", days=1
    )
    assert services.open_share(token).pk == share.pk
    assert licence.uses.get().share == share
    time_machine.move_to(timezone.now() + dt.timedelta(days=1, seconds=1))
    with pytest.raises(NotAllowed):
        services.open_share(token)
    with pytest.raises(NotFound):
        services.open_share("forged")


def test_an_enterprise_account_sees_only_its_enterprises_licences(
    make_licence, licence_type, enterprise, make_user
):
    from tests.factories import EnterpriseFactory
    from zhengwu.licences.selectors import held_by

    agent = make_user(is_staff=False, department=None)
    enterprise.users.add(agent)
    own = make_licence(holder=enterprise)
    make_licence(holder=EnterpriseFactory())  # another company's
    make_licence()  # a citizen's
    assert list(held_by(agent)) == [own]


def test_a_change_that_changes_nothing_is_refused(make_licence, make_user, issuer):
    licence = make_licence()
    with pytest.raises(InvalidInput):
        services.change(
            licence=licence,
            by=make_user("approver", department=issuer),
            surface={"address": "示范市中原路1号"},
            reason="无",
        )
    assert Licence.objects.count() == 1
