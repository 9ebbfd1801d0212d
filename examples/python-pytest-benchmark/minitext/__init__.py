"""minitext: the small Python package of the example."""


def word_frequencies(text):
    """Counts each whitespace-separated word of text, case-folded."""
    counts = {}
    for word in text.split():
        word = word.casefold()
        counts[word] = counts.get(word, 0) + 1
    return counts


def top_words(text, n=10):
    """The n most frequent words, most frequent first, ties in alphabetical order."""
    counts = word_frequencies(text)
    return sorted(counts, key=lambda w: (-counts[w], w))[:n]
