"""Dev query sets and the evaluation corpus (``corpus.py``) they are built over."""
