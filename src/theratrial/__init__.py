"""theratrial: radioligand theranostic trials in neuroendocrine tumours.

Science packages (pure): :mod:`theratrial.nuclides`, :mod:`theratrial.protocol`,
:mod:`theratrial.eligibility`, :mod:`theratrial.imaging`, :mod:`theratrial.dosimetry`,
:mod:`theratrial.treatment`, :mod:`theratrial.design`, :mod:`theratrial.response`,
:mod:`theratrial.stats`, :mod:`theratrial.phantoms`.
Adapters: :mod:`theratrial.store`, :mod:`theratrial.cli`, :mod:`theratrial.report`.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
