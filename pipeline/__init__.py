"""lianxi: a spreadsheet-native reporting pipeline for cadres keeping in touch with young people."""

from __future__ import annotations

__version__ = "0.1.0"
