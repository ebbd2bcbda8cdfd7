"""The data layer: the data contract and everything that reads it.

``paths`` (where the reference data live), ``panel`` (the calendar), ``codebook`` (the contract),
``reference`` (the article's reference tables and the variables' sources), ``reading`` (files to tables),
``provenance`` (synthetic or supplied data), ``validate`` (the contract's rules) and ``loading`` (:class:`RawData`
for the layers above). It imports only :mod:`malstyring.base`.
"""
