# Reproducible book: `make book` builds it, `make test` checks it. See README.md.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
SEED   ?= 20180101
# the data folder for every chapter; MALSTYRING_DATA in the environment sets it too
MALSTYRING_DATA ?= data/synthetic
DATA   ?= $(MALSTYRING_DATA)
PARAMS ?=
NB     ?=
LOGS   := build/logs
# long build output (pip, Sphinx, LaTeX) goes to a log file; the problems and a summary are printed
LOGGED := $(PY) scripts/logged.py
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter
export PYDEVD_DISABLE_FILE_VALIDATION := 1

PHONY_EXTRA := test-extract test-words pdf-if-tex data-readme
.PHONY: book venv data execute html pdf chapter test lint unit nbval $(PHONY_EXTRA) sync sync-check refresh bench lock env-yml clean

book: data execute html ## build the HTML book from a fresh clone
	@echo "HTML book: $(CURDIR)/book/_build/html/index.html"

# The virtualenv is this checkout's own: scripts/check_venv.py refuses a .venv that links to (or was copied from)
# another checkout's, before anything is installed into it, and checks the editable install and the kernel after.
$(VENV)/.installed: requirements.txt pyproject.toml
	@"$(PYTHON)" scripts/check_venv.py $(VENV)
	test -x $(PY) || "$(PYTHON)" -m venv $(VENV)
	@$(LOGGED) --kind pip --name "pip install -r requirements.txt" --log $(LOGS)/venv.log -- \
	  $(PY) -m pip install --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e . > $(LOGS)/venv-editable.log 2>&1 \
	  || { cat $(LOGS)/venv-editable.log; exit 1; }
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (malstyring)" > /dev/null
	@$(PY) scripts/check_venv.py --installed $(VENV)
	touch $@

venv: $(VENV)/.installed
	@$(PY) scripts/check_venv.py --installed $(VENV)

# Both steps are skipped when nothing they depend on changed (stamps in build/stamps, see scripts/stamps.py).
data: venv ## generate the default synthetic data (only for the default folder) and validate the data folder
ifeq ($(DATA),data/synthetic)
	@$(PY) scripts/stamps.py generate --out data/synthetic --seed $(SEED)
endif
	@$(PY) scripts/stamps.py validate "$(DATA)"

execute: data ## execute every chapter with papermill into book/chapters, one worker per core
	@$(PY) scripts/execute_chapters.py --data "$(DATA)" $(PARAMS)

html: venv ## the whole HTML book from scratch (-W -n), then the post-build checks
	rm -rf book/_build/.doctrees
	@$(LOGGED) --kind sphinx --name "HTML build" --log $(LOGS)/html.log -- \
	  $(BIN)/jupyter-book build book -W -n --keep-going
	@$(PY) scripts/check_build.py book/_build/html --data "$(DATA)"

# The PDF build's doctrees are removed afterwards, so the incremental HTML build of `make chapter` never starts
# from them. LaTeX's own output is in book/_build/latex/book.log; what is printed is its summary.
pdf: venv ## PDF through xelatex (needs the TeX packages listed in README.md)
	@$(LOGGED) --kind latex --name "PDF build" --log $(LOGS)/pdf.log -- \
	  $(BIN)/jupyter-book build book --builder pdflatex; code=$$?; rm -rf book/_build/.doctrees; exit $$code
	@echo "PDF: $(CURDIR)/book/_build/latex/book.pdf"

# The chapter executes while Sphinx and the post-build check load on the other core; Sphinx then re-reads only the
# changed chapter (scripts/chapter.py). The data are validated only when they changed (`data`).
chapter: data ## re-execute one chapter with new parameters and rebuild: make chapter NB=05_results_regressions PARAMS="-p lead 3"
	@test -n "$(NB)" || (echo "error: set NB, e.g. make chapter NB=05_results_regressions PARAMS='-p lead 3'" >&2; exit 2)
	@$(PY) scripts/chapter.py --data "$(DATA)" --only $(NB) $(PARAMS)
	@echo "HTML book: $(CURDIR)/book/_build/html/index.html"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Test modules are spread over one worker per core, a whole module per worker (--dist loadfile), so a module-scoped
# fixture (the R reference of tests/test_lme4.py) is computed once. The look tests are spread test by test (each
# worker opens its own browser).
PYTEST := $(BIN)/pytest -p no:cacheprovider -q --tb=short --color=no
XDIST  := -n auto --dist loadfile

unit: venv data ## unit tests and the executed chapters against the stored outputs (after `make execute`)
	MALSTYRING_REQUIRE_EXECUTED=1 $(PYTEST) $(XDIST) tests

test-extract: venv ## the real-data path end to end on a messy extract
	$(PYTEST) tests/test_extract_pipeline.py -m pipeline

test-words: venv ## the glued claims of the results chapters follow their numbers, for three true index effects
	$(PYTEST) tests/test_words.py -m words

nbval: venv data ## optional: nbval re-executes the stored notebooks itself (`make test` compares the papermill copies)
	$(BIN)/pytest --nbval notebooks -p no:cacheprovider --nbval-sanitize-with tests/sanitize.cfg

# Steps run side by side where their order allows (scripts/steps.py): each step's output is printed in one block
# when it ends and kept in build/logs/steps/STEP.log; the step times come last. `make test STEPS="unit look"` runs some.
STEPS ?=
test: venv ## everything CI runs, each chapter executed once
	@$(PY) scripts/steps.py $(STEPS)

pdf-if-tex: venv ## the PDF when xelatex is installed (before the HTML, so the front page links to it)
	@if command -v xelatex > /dev/null; then $(MAKE) --no-print-directory pdf; \
	else echo "xelatex not found: PDF build skipped (see README for the TeX packages)"; fi

sync: venv ## update .md/.ipynb pairs after editing either
	$(BIN)/jupytext --sync notebooks/[0-9]*.md

refresh: sync data ## re-execute the stored notebooks (the nbval reference) after an intended change
	$(PY) scripts/execute_chapters.py --in-place $(PARAMS)

bench: data ## time data generation, model fits and chapter execution; report peak memory
	$(PY) scripts/bench.py

lock: ## re-resolve requirements.in into exact pins (requirements.txt) and environment.yml
	rm -rf build/lockenv && "$(PYTHON)" -m venv build/lockenv
	build/lockenv/bin/pip install --quiet -r requirements.in
	{ echo "# Exact pins of the tested set (the lock). Generated by \`make lock\` from requirements.in; do not edit by hand."; \
	  build/lockenv/bin/pip freeze --exclude-editable; } > requirements.txt
	$(MAKE) env-yml

env-yml:
	"$(PYTHON)" scripts/write_environment_yml.py

clean:
	rm -rf book/_build book/chapters build

data-readme: venv ## regenerate data/README.md from the codebook
	$(PY) scripts/write_data_readme.py

.PHONY: mathjax test-look
MATHJAX_VERSION := 3.2.2
mathjax: ## re-copy MathJax (npm package mathjax) into book/_extra/mathjax, served with the HTML book
	rm -rf build/mathjax && mkdir -p build/mathjax
	cd build/mathjax && npm pack --silent mathjax@$(MATHJAX_VERSION) > /dev/null && tar xzf mathjax-$(MATHJAX_VERSION).tgz
	rm -rf book/_extra/mathjax/output book/_extra/mathjax/input
	mkdir -p book/_extra/mathjax/output/chtml/fonts book/_extra/mathjax/input/tex
	cp build/mathjax/package/es5/tex-mml-chtml.js build/mathjax/package/LICENSE book/_extra/mathjax/
	cp -r build/mathjax/package/es5/output/chtml/fonts/woff-v2 book/_extra/mathjax/output/chtml/fonts/
	cp -r build/mathjax/package/es5/input/tex/extensions book/_extra/mathjax/input/tex/

test-look: venv ## the built book as a reader sees it: every HTML page in headless Chromium, the PDF's glyphs and boxes
	$(PYTEST) -n auto --dist load tests/test_browser.py tests/test_pdf.py -m look
