"""Archival formats from the composed pages: PDF/A finishing and the OFD writer."""
