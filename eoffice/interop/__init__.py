"""Interconnection: edXML packets (QCVN 102:2016), their XML signatures and the hub client."""
