"""Delivering: numbered copies stamped, the ledger, the mailer, distribution runs."""
