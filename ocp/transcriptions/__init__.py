"""Transcriptions: how a continuous optimal-control problem becomes an NLP.

Adding a scheme means adding one module with a :class:`Transcription`
subclass that sets ``toml_name``, ``order`` and its ``Options``: defining it
registers it in :data:`TRANSCRIPTIONS`, from which the problem-file reader,
its error messages and the documentation's table come.
"""
from ocp.transcriptions.base import TRANSCRIPTIONS, Transcription
from ocp.transcriptions.hermite_simpson import HermiteSimpson
from ocp.transcriptions.radau import Radau
from ocp.transcriptions.trapezoidal import Trapezoidal

__all__ = ["Transcription", "Trapezoidal", "HermiteSimpson", "Radau", "TRANSCRIPTIONS"]
