"""The book layer: what the chapters show and say.

``tables`` and ``figures`` (presentation), ``words`` (the claims vocabulary), ``verdicts`` (verdicts on the article's
statements), ``notices`` (which data a page was built from), ``disclosure`` (office sampling, suppression and the
name scan of the built book) and ``parameters`` (the chapters' parameters: checked in a chapter, read back from an
executed one). It may import every layer below it.
"""
