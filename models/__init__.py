"""The application core: storage, records, reference data and validation. No Qt here."""
