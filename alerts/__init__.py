"""Alert channels (email, Slack, console), rendering, and the outbox that delivers pending alerts.

Depends on :mod:`monitor` for data types and the store; :mod:`monitor` never imports this package.
"""
