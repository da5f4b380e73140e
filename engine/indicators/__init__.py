"""Numba indicators with TA-Lib's names, parameters, outputs and warm-up (see ``api``)."""

from .api import *  # noqa: F403
from .api import __all__  # noqa: F401
