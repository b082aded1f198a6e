"""Spotcheck's Django side: projects, ingestion, audits, review, metrics and exports."""
