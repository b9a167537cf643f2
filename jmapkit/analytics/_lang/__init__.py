"""One module per language: each `load()` returns a scorer mapping a list of texts to scores in −1..1.

The modules import their lexicon packages inside `load()`, so importing them is cheap, and a
missing package is only noticed when a text in that language has to be scored.
"""
