"""pwcore: the shared library of the Performance West document pipeline."""

__version__ = "0.1.0"
