"""The outside world: sources of papers, turned into plain :class:`PaperRecord` values.

Only this package does HTTP. It never touches SQL or textual.
"""

from reader.record import FeedItem, PaperRecord

__all__ = ["FeedItem", "PaperRecord"]
