"""Incoming documents: receipt from the hub, paper intake, register, direction, processing."""
