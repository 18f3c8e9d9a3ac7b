"""The engine: a Problem transcribed into one sparse NLP, solved by IPOPT, checked by
re-simulation."""
