"""Declarative definitions of every entry form and return table. No Qt here."""
