"""malstyring: the analysis code behind the book re-running Roaldsnes (2018).

Shares are on the 0–1 scale throughout; months are strings ``YYYY-MM``.
"""

__version__ = "0.1.0"
