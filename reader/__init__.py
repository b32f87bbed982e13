"""The outside world: sources of papers, turned into plain :class:`PaperRecord` values.

Only this package does HTTP. It never touches SQL or textual.
"""

from reader.record import FeedItem, PaperRecord

# Kept equal to tui.__version__ and pyproject's version (a test checks); the User-Agent uses it.
__version__ = "0.1.0"

__all__ = ["FeedItem", "PaperRecord", "__version__"]
