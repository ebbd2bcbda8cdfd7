"""The analysis layer: from contract tables to estimates.

``operationalise`` (the analysis frame), ``scorecard`` (one office's scorecard and its traffic-light statuses),
``inference`` (few-cluster inference rules), ``models`` (the estimation engine), ``mixedlm`` (statsmodels as an
independent reference), ``robustness``, ``timedep`` (time dependence) and ``calibration`` (the synthetic data's
targets and values). It imports the synthetic, data and base layers.
"""
