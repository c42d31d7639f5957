"""Language tools that know no stage: normalizing arXiv text (`normalize`), stop words
(`stopwords`), sentence spans (`sentences`), what a question asks (`question`) and the pairwise
TF-IDF cosine (`tfidf`)."""

__all__ = ["normalize", "question", "sentences", "stopwords", "tfidf"]
