"""docanalyzer: reads Chinese inspection rectification documents into a cited ledger of items."""

__version__ = "0.1.0"
