"""Registers (sổ) and handling reports of one body over a period, exported to XLSX/PDF."""
