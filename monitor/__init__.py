"""Rasad: watch Arabic news feeds and alert analysts when an article matches a watch rule.

The core package. It never imports :mod:`alerts`; the composition root in :mod:`monitor.cli`
wires the alert channels in.
"""

__version__ = "0.1.0"
