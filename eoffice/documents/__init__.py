"""What outgoing and incoming documents share: files, document types, registers, numbering."""
