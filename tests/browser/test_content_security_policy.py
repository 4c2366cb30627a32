"""Pages under the Content-Security-Policy in a real browser: the console fixture fails a test on any
console error, and Chromium reports every blocked inline script, handler or style there."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_works_under_the_policy(live_server, page, screenshot):
    response = page.goto(f"{live_server.url}/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".swagger-ui .opblock")
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")
    # Swagger UI keeps only the operations near the view in the page: scroll to the end of the
    # list and the last group (regions, alphabetically) is drawn, with its operations.
    for _ in range(8):
        page.mouse.wheel(0, 5000)
        page.wait_for_timeout(200)
    page.wait_for_selector(".opblock-tag:has-text('regions')")
    assert page.locator(".opblock-summary-path:has-text('/api/regions/')").count() >= 1
    screenshot(page, "csp-swagger-ui")


def test_a_confirm_moved_out_of_inline_handlers_still_asks(live_server, page):
    """data-confirm (web/site.js) replaces onclick="return confirm(…)": dismissing submits nothing,
    accepting submits."""
    page.goto(f"{live_server.url}/guide/")
    assert page.evaluate("window.htmx.config.allowEval") is False
    answers = iter([False, True])
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept() if next(answers) else dialog.dismiss()

    page.on("dialog", answer)
    page.evaluate(
        """() => { const f = document.createElement('form'); f.method = 'get'; f.action = '/guide/';
        f.setAttribute('data-confirm', '确定提交？');
        f.innerHTML = '<input type=hidden name=q value=社保><button id=go>提交</button>';
        document.querySelector('main').appendChild(f); }"""
    )
    page.click("#go")
    page.wait_for_timeout(300)
    assert asked == ["确定提交？"] and "q=" not in page.url
    page.click("#go")
    page.wait_for_url("**/guide/?q=*")
    assert asked == ["确定提交？", "确定提交？"]
