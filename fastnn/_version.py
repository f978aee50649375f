"""fastnn's version: a leaf module, so that any module can import it without importing fastnn."""

__version__ = "0.1.0"
