"""SIS export formats: parse and normalise into plain records."""
