"""Transcriptions: how a continuous optimal-control problem becomes an NLP.

Adding a scheme means adding one module with a :class:`Transcription`
subclass and one entry in :data:`TRANSCRIPTIONS`.
"""
from .base import Transcription
from .hermite_simpson import HermiteSimpson
from .radau import Radau
from .trapezoidal import Trapezoidal

#: Name in a problem file -> class.
TRANSCRIPTIONS = {
    "trapezoidal": Trapezoidal,
    "hermite-simpson": HermiteSimpson,
    "radau": Radau,
}

__all__ = ["Transcription", "Trapezoidal", "HermiteSimpson", "Radau", "TRANSCRIPTIONS"]
