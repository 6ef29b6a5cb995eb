"""Text analysis shared by the keyword index, the relevance floor and citations.

* :mod:`~gpt4all_rag.text.terms`: normalization, word and CJK-run patterns, stopwords;
* :mod:`~gpt4all_rag.text.relevance`: content terms of a question and how much of them a text
  contains.

Pure functions on strings: no model, no database.
"""
