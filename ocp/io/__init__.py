"""Input and output: problem files, plots."""
