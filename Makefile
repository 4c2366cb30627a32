# Two commands matter: `make run` and `make test` (see README). Everything else here serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint pytest system-packages browser-packages demo clean

# Debian's python3 needs python3-venv before `python3 -m venv` works.
system-packages:
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "安装 python3-venv …"; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv; }

$(BIN)/.installed: pyproject.toml | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip==25.3
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# Browser tests drive Debian's Chromium (never a browser downloaded by a test tool) and need CJK fonts.
browser-packages:
	@[ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk' || { \
	  echo "安装 chromium 与中文字体 …"; $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

demo: $(BIN)/.installed
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py load_demo_city

run: demo
	@echo ""
	@echo "政务服务平台已启动： http://$(HOST):$(PORT)/   （管理后台 /admin/ ，接口文档 /api/docs/ ，按 Ctrl+C 停止）"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/python manage.py db_worker --queue-name default >var/worker.log 2>&1 & \
	  $(BIN)/python manage.py run_scheduler >var/scheduler.log 2>&1 & \
	  $(BIN)/gunicorn config.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src config

pytest: $(BIN)/.installed browser-packages
	$(BIN)/pytest -n auto -p no:cacheprovider

test: lint pytest

clean:
	rm -rf $(VENV) var test-output
