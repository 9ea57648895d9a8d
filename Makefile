# Two commands do all set-up on a fresh machine:  `make run`  and  `make test`.
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: run test setup system venv lint bench screenshots clean

setup: system venv

system:
	@bash scripts/setup_system.sh

venv:
	@bash scripts/setup_venv.sh

run: setup
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
		echo "No display found: starting the studio on a virtual screen (xvfb-run)."; \
		xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) main.py $(ARGS); \
	else $(PY) main.py $(ARGS); fi

test: setup
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)
	.venv/bin/lint-imports

lint: venv
	.venv/bin/lint-imports

bench: setup
	$(PY) bench/bench_viewport.py
	xvfb-run -a -s "-screen 0 1920x1200x24" $(PY) bench/bench_playback.py

screenshots: setup
	bash scripts/screenshot.sh

clean:
	rm -rf .venv .pytest_cache
