"""Debug mode: the switch every replica follows, what it captures, and the redaction of secrets."""
