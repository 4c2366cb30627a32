"""The production profile: settings read from .env before anything else, every setting documented,
`check --deploy` clean under the production .env that docs/deploy.md gives, a Content-Security-Policy
that allows no inline script, and the SMS signature from a setting."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "src").rglob("templates/**/*.html"))


def _run(code: str, env_file: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter with no Zhengwu variables but those in ``env_file`` and ``env``."""
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL")}
    clean.update({"ZHENGWU_ENV_FILE": str(env_file), "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_the_env_file_is_read_before_the_var_directory(tmp_path):
    var = tmp_path / "elsewhere"
    env_file = tmp_path / ".env"
    env_file.write_text(f"ZHENGWU_VAR_DIR={var}\nSMS_SIGNATURE=测试市12345\n")
    code = (
        "import sys; sys.path[:0] = ['.', 'src']\n"
        "from django.conf import settings\n"
        "print(settings.VAR_DIR, settings.SMS_SIGNATURE, settings.DATABASES['default']['NAME'])"
    )
    out = _run(code, env_file)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(var), "测试市12345", str(var / "db.sqlite3")]
    assert (var / "secret_key").exists() and (var / "history_chain_key").exists()


def test_the_production_env_of_docs_deploy_passes_check_deploy(tmp_path):
    doc = (ROOT / "docs" / "deploy.md").read_text()
    block = re.search(r"<!-- production-env -->\s*```ini\n(.*?)```", doc, re.S)
    assert block, "docs/deploy.md gives the production .env in an ```ini block after <!-- production-env -->"
    env_file = tmp_path / ".env"
    env_file.write_text(block.group(1))
    out = _run(
        "import sys; sys.path[:0] = ['.', 'src']\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        env_file,
        ZHENGWU_VAR_DIR=str(tmp_path / "var"),
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
    # … and without it the same check does warn (what the production .env fixes).
    bare = tmp_path / "bare.env"
    bare.write_text("")
    out = _run(
        "import sys; sys.path[:0] = ['.', 'src']\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        bare,
        ZHENGWU_VAR_DIR=str(tmp_path / "var"),
    )
    assert out.returncode != 0 and "security.W004" in out.stdout + out.stderr


def test_every_setting_read_from_the_environment_is_documented():
    source = (ROOT / "config" / "settings.py").read_text()
    read = set(re.findall(r"""env(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']""", source))
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    documented |= set(re.findall(r"\b(ZHENGWU_ENV_FILE)\b", (ROOT / ".env.example").read_text()))
    assert {"TRIAGE_RETRAIN_MIN_NEW", "SMS_SIGNATURE", "HISTORY_CHAIN_KEY"} <= read
    assert sorted(read - documented) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.relative_to(ROOT / "src")) for p in TEMPLATES])
def test_no_template_carries_inline_script_or_style_attributes(path):
    """script-src 'self': an inline <script>, an on* handler, hx-on (eval) or javascript: URL would
    be blocked; style="" attributes are blocked by a style-src with a nonce."""
    html = path.read_text()
    scripts = re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>", html)
    assert scripts == []
    assert re.findall(r"\son[a-z]+\s*=", html) == []
    assert re.findall(r"\shx-on[:-]|javascript:|\sstyle\s*=", html) == []
    assert all("nonce=" in tag for tag in re.findall(r"<style\b[^>]*>", html))


@pytest.mark.django_db
def test_pages_are_served_with_a_policy_that_allows_no_inline_script(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["script-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy


@pytest.mark.django_db
def test_a_pages_own_style_block_carries_the_nonce_of_its_policy(client):
    response = client.get(reverse("catalog:guide_search"))
    html = response.content.decode()
    nonces = re.findall(r'<style nonce="([^"]+)">', html)
    assert nonces, "the guide search page has its own <style> block"
    assert f"'nonce-{nonces[0]}'" in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_swagger_ui_runs_its_script_from_a_file(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>", html) == []
    script = re.search(r'<script src="([^"]*script=[^"]*)"', html)
    assert script, html
    js = client.get(script.group(1).replace("&amp;", "&"))
    assert js.status_code == 200 and "SwaggerUIBundle" in js.content.decode()


def test_the_sms_signature_comes_from_a_setting(settings):
    from zhengwu.appeals import notify
    from zhengwu.appeals.models import Appeal

    settings.SMS_SIGNATURE = "临江市12345"
    settings.SITE_URL = ""
    settings.SITE_NAME = "临江市政务服务网"
    text = notify.reply_text(Appeal(number="12345-20260610-000001", reply="已修复。"))
    assert text.startswith("【临江市12345】您反映的问题（工单号12345-20260610-000001）已有答复：已修复。")
    assert "临江市政务服务网" in text and "示范市" not in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/appeals/appeal/", "/admin/org/department/add/", "/admin/appeals/appealevent/"]
)
def test_the_admin_needs_no_inline_script_either(client, url):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    inline = re.findall(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert inline == []
    assert re.findall(r"\son[a-z]+\s*=\s*\"", html) == []
