"""The Qt user interface. Everything here calls the core (``models``, ``forms``) for data."""
