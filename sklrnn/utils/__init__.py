"""Private helpers shared by sklrnn estimators and transformers."""
