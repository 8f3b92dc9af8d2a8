"""Pure statistics: contingency tables, baseline tables, logistic regression, selection, power.

Modules here import nothing from the layers above (``audit``, ``synth``, ``report``, ``cli``).
"""
