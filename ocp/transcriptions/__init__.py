"""Transcriptions: how a continuous optimal-control problem becomes an NLP.

Adding a scheme means adding one module with a :class:`Transcription`
subclass and one entry in :data:`TRANSCRIPTIONS`.
"""
from ocp.transcriptions.base import Transcription
from ocp.transcriptions.hermite_simpson import HermiteSimpson
from ocp.transcriptions.radau import Radau
from ocp.transcriptions.trapezoidal import Trapezoidal

#: Name in a problem file -> class.
TRANSCRIPTIONS = {
    "trapezoidal": Trapezoidal,
    "hermite-simpson": HermiteSimpson,
    "radau": Radau,
}

__all__ = ["Transcription", "Trapezoidal", "HermiteSimpson", "Radau", "TRANSCRIPTIONS"]
