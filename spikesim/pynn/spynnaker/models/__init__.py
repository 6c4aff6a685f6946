"""Names scripts import from ``spynnaker.pyNN.models`` (the front end's classes)."""
