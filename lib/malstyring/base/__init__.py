"""The base layer: what every other layer needs and nothing else (number formatting). It imports no other part of
the package."""
