"""一件事一次办 in Chromium, each person in their own browser: a parent applies online for 新生儿出生
from its guide page — one form, each shared material uploaded once, the birth certificate not
asked for since the bundle issues it → the window accepts the whole bundle → three departments
each handle their item, the 户口 one waiting (its page says so, no 审查 button) until the 出生医学
证明 is issued → the bundle is done and the delivery window hands every result over once → the
guide page's 实际成效 now counts it. Only the starting data is made here; every step is a click."""

from __future__ import annotations

import pytest

from zhengwu.applications.models import Application, BundleApplication, BundleState
from zhengwu.applications.workflow import ApplicationState as S

from ..applications.test_bundles import make_birth
from .test_application_journeys import flat, media, people, upload  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_parent_applies_for_a_bundle_and_collects_every_result_once(people, screenshot, media):  # noqa: F811
    b = make_birth()

    # 1. The guide page: nothing completed yet; 在线办理 → login → the one merged form.
    me = people()
    me.go(f"/guide/bundles/{b.bundle.pk}/")
    me.page.wait_for_selector("#realised-none")
    me.page.click("a.btn:has-text('在线办理')")
    me.page.wait_for_selector("#id_username")
    me.login_here(b.citizen_user.username)
    me.page.wait_for_selector("h1:has-text('在线办理：“新生儿出生”一件事')")
    # 新生儿姓名 is asked by all three items, once.
    assert me.page.locator("#apply-form input[name=form_newborn_name]").count() == 1
    me.page.fill("#id_form_newborn_name", "张小宝")
    me.page.fill("#id_form_birth_date", "2026-06-01")
    me.page.fill("#id_form_guardian_name", "张妈妈")
    me.page.fill("#id_form_phone", "13900002222")
    # One upload per shared material: the ID card three items need appears once; the birth
    # certificate is the bundle's own result and is not asked for.
    uploads = me.page.locator("#apply-form input[type=file]")
    assert uploads.count() == 3
    assert "出生医学证明" in me.text("#not-handed-in")
    for material in (b.id_card, b.birth_record, b.hukou_book):
        me.page.set_input_files(f"#id_material_{material.pk}", upload(f"{material.name}.pdf"))
    screenshot(me.page, "bundle-journey-01-apply")
    me.page.click("#apply-form button[type=submit]")
    me.page.wait_for_selector("#receipt-code")
    parent = BundleApplication.objects.get()
    assert me.text("#receipt-number") == parent.number
    assert parent.state == BundleState.SUBMITTED
    screenshot(me.page, "bundle-journey-02-receipt")

    # 2. The window accepts the whole bundle: one 受理, three children to three departments.
    window = people()
    window.staff_login(b.clerk)
    window.go("/applications/window/")
    window.page.click(f"a:has-text('{parent.number}')")
    window.page.wait_for_selector("#bundle-detail")
    window.page.click("form[data-action='accept'] button[type=submit]")
    window.page.wait_for_selector("#bundle-state[data-state='in_progress']")
    rows = window.page.locator("#children tbody tr")
    assert rows.count() == 3
    assert {flat(t) for t in window.page.locator("#children tbody tr").all_inner_texts()} and all(
        dept in window.text("#children") for dept in ("卫生健康委员会", "公安局", "医疗保障局")
    )
    screenshot(window.page, "bundle-journey-03-accepted")
    kids = {c.item.name: c for c in parent.children.select_related("item")}
    cert, hukou, medical = (
        kids[n] for n in ("出生医学证明首次签发", "户口登记（出生）", "城乡居民医保参保登记")
    )

    # 3. The police see the 户口 item waiting: no 审查 until the certificate is issued.
    police = people()
    police.staff_login(b.approvers["police"])
    police.go(f"/applications/{hukou.number}/")
    police.page.wait_for_selector("#application-detail")
    assert "等待前置事项" in police.text("#application-detail")
    assert police.page.locator("form[data-action='review']").count() == 0
    screenshot(police.page, "bundle-journey-04-waiting")

    def handle(person, child, *, certify: bool = False) -> None:
        person.go(f"/applications/{child.number}/")
        person.act("review")
        person.state(S.REVIEWING)
        person.page.locator("form[data-action='decide']").get_by_label("准予许可", exact=True).check()
        person.page.fill("form[data-action='decide'] textarea[name=opinion]", "符合条件，准予办理")
        person.act("decide")
        person.state(S.DECIDED)
        person.page.fill("form[data-action='complete'] input[name=result_number]", f"R-{child.pk}")
        person.act("complete")
        person.state(S.COMPLETED)
        if certify:
            person.page.fill("form[data-action='certify'] input[name=licence_number]", f"O{child.pk:09d}")
            person.act("certify")
            person.state(S.CERTIFIED)

    health = people()
    health.staff_login(b.approvers["health"])
    handle(health, cert, certify=True)
    insurance = people()
    insurance.staff_login(b.approvers["medical"])
    handle(insurance, medical)
    # The certificate issued, the 户口 item starts; it is the last one.
    handle(police, hukou)
    assert set(Application.objects.filter(bundle_application=parent).values_list("state", flat=True)) == {
        S.CERTIFIED,
        S.COMPLETED,
    }

    # 4. The applicant's page shows every item done, waiting for the one 出件.
    me.go(f"/apply/mine/bundle/{parent.number}/")
    assert me.text("#public-state") == "已办结待出件"
    screenshot(me.page, "bundle-journey-05-applicant")

    # 5. The delivery window hands every result over at once, against the mother's ID.
    desk = people()
    desk.staff_login(b.delivery)
    desk.go("/applications/delivery/")
    desk.page.click(f"a:has-text('{parent.number}')")
    desk.page.wait_for_selector("#bundle-detail")
    hand = "form[data-action='hand_over']"
    desk.page.fill(f"{hand} input[name=recipient_name]", "张妈妈")
    desk.page.fill(f"{hand} input[name=recipient_id_number]", b.citizen.id_number)
    desk.page.click(f"{hand} button[type=submit]")
    desk.page.wait_for_selector("#bundle-state[data-state='delivered']")
    assert set(parent.children.values_list("state", flat=True)) == {S.DELIVERED}
    screenshot(desk.page, "bundle-journey-06-delivered")

    # 6. The guide page's 实际成效 now counts the bundle application.
    me.go(f"/guide/bundles/{b.bundle.pk}/")
    me.page.wait_for_selector("#realised-count")
    assert "1" in me.text("#realised-count")
    assert "跑动" in me.text("#realised-table")
    screenshot(me.page, "bundle-journey-07-realised")
