"""The document reader: one module per template section, and the document findings."""
