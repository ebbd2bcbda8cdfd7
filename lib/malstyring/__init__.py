"""malstyring: the analysis code behind the book re-running Roaldsnes (2018).

Shares are on the 0–1 scale throughout; months are strings ``YYYY-MM``.

The package is built in layers. Each layer imports only the layers below it (``tests/test_layers.py`` checks this,
and that no two modules import each other, directly or through others), so a module can be read knowing only what
lies beneath it. From the bottom up:

1. ``base`` – number formatting (:mod:`~malstyring.base.number_format`), which every layer that writes a number
   uses, and file checksums (``checksums``, standard library only). It imports nothing of the package.
2. ``data`` – the data contract: where the reference data live (``paths``), the panel's calendar (``panel``), the
   codebook, the article's reference tables and the variables' sources (``reference``), reading files
   (``reading``), synthetic-or-supplied provenance, validation and loading a folder as ``RawData`` (``loading``).
3. ``synthetic`` – the generator of the synthetic panel (``generator``) and the reader of its tuned numbers
   (``parameters``, from ``data/reference/generator_parameters.csv``): it writes the data layer's contract.
4. ``analysis`` – the operationalisation, the estimation engine (``models``) and its inference, the statsmodels
   reference (``mixedlm``), robustness, time dependence, calibration and the scorecard (``scorecard``). It may use
   the synthetic layer (the Monte Carlo re-draws outcomes from the generator's true model).
5. ``book`` – what the chapters show and say: tables, figures, the claims vocabulary (``words``), verdicts,
   provenance notices, disclosure control (sampling, suppression, the name scan), the chapters' parameters, the
   ``Page`` a chapter returns (``page``) and one module per chapter (``chapters``).
6. the package itself – the command line (``cli``, ``__main__``), which may use every layer.

The chapters, scripts and tests import each name from the module that defines it
(``from malstyring.analysis.models import fit_models``); the layers' ``__init__`` modules re-export nothing.
"""

__version__ = "0.1.0"
