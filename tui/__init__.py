"""The terminal front: the Textual app and the ``papershelf`` command line."""

__version__ = "0.1.0"
