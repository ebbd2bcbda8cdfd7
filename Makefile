# Reproducible book: `make book` builds it, `make test` checks it, `make help` lists the rest. See README.md.
#
# What needs what is declared here, and only here (scripts/steps.py runs make test's steps in this order):
#
#   build/stamps/data           the data folder's validation key     <- the data folder (checked on every run)
#   build/stamps/execute-args   PARAMS                               <- PARAMS (checked on every run)
#   build/stamps/chapters       book/chapters/*.ipynb executed       <- notebooks/*.ipynb, lib/, data/reference/,
#                                                                      the executor, the data and args stamps, the venv
#   book/_build/latex/book.pdf  the PDF (when xelatex is installed)  <- chapters, book/ sources
#   build/stamps/html           the HTML book, checked               <- chapters, book/ sources, lib/, the PDF
#   unit, test-words            tests that read the executed chapters <- chapters;  test-look <- html (and the PDF)
#
# The data and args stamps are rewritten only when their content changes (scripts/stamps.py), so their rules run
# every time (a few hundredths of a second when nothing changed) and what depends on them is redone only then.
# `make -j2 ...` is safe: nothing relies on the order of prerequisites.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
## DATA=DIR       the data folder of every chapter (default data/synthetic, generated there from SEED)
DATA   ?= data/synthetic
## SEED=N         the seed of the default synthetic data (default: the generator's DEFAULT_SEED)
SEED   ?=
## PARAMS="-p NAME VALUE ..."  chapter parameters for book, execute, chapter, refresh (see README)
PARAMS ?=
## NB=NN_name     the chapter of `make chapter`
NB     ?=
## STEPS="unit look"  some of make test's steps (make help lists them)
STEPS  ?=
LOGS   := build/logs
STAMPS := build/stamps
# long build output (pip, Sphinx, LaTeX) goes to a log file; the problems and a summary are printed
LOGGED := $(PY) scripts/logged.py
export JUPYTER_PATH := $(CURDIR)/$(VENV)/share/jupyter
export PYDEVD_DISABLE_FILE_VALIDATION := 1

DATA_STAMP     := $(STAMPS)/data
ARGS_STAMP     := $(STAMPS)/execute-args
CHAPTERS_STAMP := $(STAMPS)/chapters
HTML_STAMP     := $(STAMPS)/html
PDF_FILE       := book/_build/latex/book.pdf
HAVE_TEX       := $(shell command -v xelatex)
NOTEBOOKS      := $(sort $(wildcard notebooks/[0-9][0-9]_*.ipynb))
EXECUTED       := $(NOTEBOOKS:notebooks/%=book/chapters/%)
LIB            := $(shell find lib/malstyring data/reference -type f -not -path '*/__pycache__/*' -not -name '*.pyc')
BOOK_SRC       := $(shell find book -type f -not -path 'book/_build/*' -not -path 'book/chapters/*' \
                    -not -path '*/__pycache__/*' -not -name '*.pyc')
# a missing output is rebuilt even when its stamp is newer than everything
missing        = $(if $(filter-out $(wildcard $1),$1),FORCE)

# $(call step,NAME,COMMAND): under `make test` the command's output goes to build/logs/steps/NAME.log and is printed
# in one block when it ends, with its time (scripts/steps.py run); otherwise the command runs as it is.
step = $(if $(MALSTYRING_STEP_PLAN),$(PY) scripts/steps.py run $1 -- sh -c '$2',$2)

.DELETE_ON_ERROR:
.PHONY: help book venv data execute html pdf pdf-if-tex chapter test lint unit nbval test-extract test-words \
        test-look sync refresh bench lock env-yml clean data-readme mathjax FORCE
FORCE:

book: html ## build the HTML book from a fresh clone (the PDF first when xelatex is installed, for its link)
	@echo "HTML book: $(CURDIR)/book/_build/html/index.html"

help: ## list the targets and variables
	@$(firstword $(wildcard $(PY)) python3) scripts/steps.py help

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

venv: $(VENV)/.installed ## the virtualenv .venv with the pinned packages (checked on every make)
	@$(PY) scripts/check_venv.py --installed $(VENV)

# Generation and validation are skipped when nothing they depend on changed (scripts/stamps.py); the stamp file
# changes only when the validated data do.
data: $(DATA_STAMP) ## generate the default synthetic data (only for the default folder) and validate the data folder
$(DATA_STAMP): FORCE | venv
	@$(call step,data,$(if $(filter data/synthetic,$(DATA)),$(PY) scripts/stamps.py generate --out data/synthetic $(if $(SEED),--seed $(SEED)) && )$(PY) scripts/stamps.py validate "$(DATA)" --record $@)

$(ARGS_STAMP): FORCE | venv
	@$(PY) scripts/stamps.py record $@ -- $(PARAMS)

# Only the chapters whose notebook changed are executed again when nothing else did.
execute: $(CHAPTERS_STAMP) ## execute the chapters into book/chapters (those whose inputs changed), one worker per core
$(CHAPTERS_STAMP): $(NOTEBOOKS) $(LIB) scripts/execute_chapters.py scripts/kernel_zygote.py $(DATA_STAMP) \
                   $(ARGS_STAMP) $(VENV)/.installed $(call missing,$(EXECUTED)) | venv
	@$(call step,execute,$(PY) scripts/execute_chapters.py --data "$(DATA)" $(PARAMS) \
	  $(if $(filter-out notebooks/%,$?),,$(patsubst notebooks/%.ipynb,--only %,$?)))
	@touch $@

# The PDF build's doctrees are removed afterwards, so the incremental HTML build of `make chapter` never starts
# from them. LaTeX's own output is in book/_build/latex/book.log; what is printed is its summary.
pdf: $(PDF_FILE) ## PDF through xelatex (needs the TeX packages listed in README.md)
	@echo "PDF: $(CURDIR)/$(PDF_FILE)"
$(PDF_FILE): $(CHAPTERS_STAMP) $(BOOK_SRC) | venv
	@$(call step,pdf,$(LOGGED) --kind latex --name "PDF build" --log $(LOGS)/pdf.log -- \
	  $(BIN)/jupyter-book build book --builder pdflatex; code=$$?; rm -rf book/_build/.doctrees; exit $$code)

pdf-if-tex: $(if $(HAVE_TEX),$(PDF_FILE)) ## the PDF when xelatex is installed
ifeq ($(HAVE_TEX),)
	@$(call step,pdf,echo "xelatex not found: PDF build skipped (see README for the TeX packages)")
endif

# The whole HTML book from scratch (-W -n), then the post-build checks; after the PDF when there is one, so the
# front page links to it.
html: $(HTML_STAMP) ## the HTML book (-W -n) from the executed chapters, then the post-build checks
$(HTML_STAMP): $(CHAPTERS_STAMP) $(BOOK_SRC) $(LIB) scripts/check_build.py $(if $(HAVE_TEX),$(PDF_FILE)) \
               $(call missing,book/_build/html/index.html) | venv
	@$(call step,html,rm -rf book/_build/.doctrees && $(LOGGED) --kind sphinx --name "HTML build" \
	  --log $(LOGS)/html.log -- $(BIN)/jupyter-book build book -W -n --keep-going \
	  && $(PY) scripts/check_build.py book/_build/html --data "$(DATA)")
	@touch $@

# The chapter executes while Sphinx and the post-build check load on the other core; Sphinx then re-reads only the
# changed chapter (scripts/chapter.py). Its figures are drawn for the HTML only (SVG), and with PARAMS it is no
# longer the default book, so the executed chapters lose their stamp: the next `make book` or `make pdf` executes
# them again.
chapter: data ## re-execute one chapter with new parameters and rebuild: make chapter NB=05_results_regressions PARAMS="-p lead 3"
	@test -n "$(NB)" || (echo "error: set NB, e.g. make chapter NB=05_results_regressions PARAMS='-p lead 3'" >&2; exit 2)
	@rm -f $(CHAPTERS_STAMP)
	@$(PY) scripts/chapter.py --data "$(DATA)" --only $(NB) $(PARAMS)
	@echo "HTML book: $(CURDIR)/book/_build/html/index.html"

lint: | venv ## ruff check and ruff format --check (the notebooks too)
	@$(call step,lint,$(BIN)/ruff check . && $(BIN)/ruff format --check .)

# Test modules are spread over one worker per core, a whole module per worker (--dist loadfile), so a module-scoped
# fixture (the R reference of tests/test_lme4.py) is computed once. The look tests are spread test by test (each
# worker opens its own browser).
PYTEST := $(BIN)/pytest -p no:cacheprovider -q --tb=short --color=no
XDIST  := -n auto --dist loadfile

unit: $(CHAPTERS_STAMP) | venv ## unit tests and the executed chapters against the stored outputs
	@$(call step,unit,MALSTYRING_REQUIRE_EXECUTED=1 $(PYTEST) $(XDIST) tests)

# The extract needs none of the book's outputs; under `make test` it waits for the chapters (order only: it is not
# redone when they change), so the execution, which most steps wait for, has both cores to itself.
test-extract: | venv $(if $(MALSTYRING_STEP_PLAN),$(CHAPTERS_STAMP)) ## the real-data path end to end on a messy extract
	@$(call step,extract,$(PYTEST) tests/test_extract_pipeline.py -m pipeline)

test-words: $(CHAPTERS_STAMP) | venv ## the glued claims of the results chapters follow their numbers, for three true index effects
	@$(call step,words,$(PYTEST) tests/test_words.py -m words)

test-look: $(HTML_STAMP) | venv ## the built book as a reader sees it: every HTML page in headless Chromium, the PDF's glyphs and boxes
	@$(call step,look,$(PYTEST) -n auto --dist load tests/test_browser.py tests/test_pdf.py -m look)

nbval: data ## optional: nbval re-executes the stored notebooks itself (`make test` compares the papermill copies)
	$(BIN)/pytest --nbval notebooks -p no:cacheprovider --nbval-sanitize-with tests/sanitize.cfg

# make test's steps and their goals; scripts/steps.py runs the goals in one `make -k` (one job per core unless
# make was given -j), prints each step's output in one block when it ends (kept in build/logs/steps/STEP.log) and
# the step times last. `make test STEPS="unit look"` runs some (and whatever they need that is out of date).
TEST_STEPS := data lint execute pdf unit html look extract words
goal.pdf := pdf-if-tex
goal.look := test-look
goal.extract := test-extract
goal.words := test-words
test: | venv ## everything CI runs: each step runs when what it needs is up to date, side by side where it can
	$(if $(filter-out $(TEST_STEPS),$(STEPS)),$(error unknown step(s) $(filter-out $(TEST_STEPS),$(STEPS)); steps: $(TEST_STEPS)))
	@$(PY) scripts/steps.py test $(addprefix --only ,$(STEPS)) $(foreach s,$(TEST_STEPS),$s=$(or $(goal.$s),$s)) -- $(MAKE)

sync: | venv ## update .md/.ipynb pairs after editing either
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

env-yml: ## regenerate environment.yml from requirements.txt
	"$(PYTHON)" scripts/write_environment_yml.py

clean: ## remove the builds, the executed chapters and build/ (logs, stamps)
	rm -rf book/_build book/chapters build

data-readme: | venv ## regenerate data/README.md from the codebook
	$(PY) scripts/write_data_readme.py

MATHJAX_VERSION := 3.2.2
mathjax: ## re-copy MathJax (npm package mathjax) into book/_extra/mathjax, served with the HTML book
	rm -rf build/mathjax && mkdir -p build/mathjax
	cd build/mathjax && npm pack --silent mathjax@$(MATHJAX_VERSION) > /dev/null && tar xzf mathjax-$(MATHJAX_VERSION).tgz
	rm -rf book/_extra/mathjax/output book/_extra/mathjax/input
	mkdir -p book/_extra/mathjax/output/chtml/fonts book/_extra/mathjax/input/tex
	cp build/mathjax/package/es5/tex-mml-chtml.js build/mathjax/package/LICENSE book/_extra/mathjax/
	cp -r build/mathjax/package/es5/output/chtml/fonts/woff-v2 book/_extra/mathjax/output/chtml/fonts/
	cp -r build/mathjax/package/es5/input/tex/extensions book/_extra/mathjax/input/tex/
