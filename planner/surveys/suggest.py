"""Code suggestions for citizen comments, fully offline: nothing is downloaded at run time, no text leaves the server.

- **Language** of each comment: the stop words of eight languages (``stop-words``), else the share of words
  that ``simplemma``'s German dictionary knows (it ships inside the package), and a look at the script (a comment
  mostly in Arabic or Cyrillic letters is not German). Only German comments get a suggestion, so a Turkish or
  English comment is not mis-coded; the coding page names its language.
- **Normalisation**: ``simplemma``'s German lemmas, German stop words from the ``stop-words`` package (its bundled
  German list), lower case, and one spelling for ä/ae, ö/oe, ü/ue and ß/ss; compounds (Parkplatzsuche,
  Radwegenetz) are matched through character n-grams of the normalised words.
- **Classifier**: TF-IDF of words (1–2-grams) and of character 3–5-grams, a linear classifier (logistic loss)
  trained on the codes staff confirmed plus the codebook's own words (names, descriptions, example words, the
  needs it was seeded from). The probability of the best code is the suggestion's confidence.
- **Similar comments**: cosine similarity of the same TF-IDF vectors.
- **Topics** for what fits no code yet: NMF over the uncoded remainder's word TF-IDF.

This module knows nothing about the database: ``planner.surveys.coding`` feeds it texts and labels.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from stop_words import get_stop_words

from planner.core.lazy import lazy_import

# Imported when first used (a second of every process's start otherwise).
simplemma = lazy_import("simplemma")
np = lazy_import("numpy")
sparse = lazy_import("scipy.sparse")
NMF = lazy_import("sklearn.decomposition", "NMF")
TfidfVectorizer = lazy_import("sklearn.feature_extraction.text", "TfidfVectorizer")
SGDClassifier = lazy_import("sklearn.linear_model", "SGDClassifier")
FeatureUnion = lazy_import("sklearn.pipeline", "FeatureUnion")

# Languages told apart (simplemma's detector compares these word lists; more languages cost time per comment).
LANGUAGES = ("de", "en", "tr", "fr", "it", "es", "pl", "nl")
# The part of a very long comment that is analysed (the stored text stays whole).
MAX_ANALYSED_CHARS = 4000
UNKNOWN = "unk"

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*", re.UNICODE)
_ADDRESS = re.compile(r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)


def fold(word: str) -> str:
    """One spelling for umlauts and ß: "Straße" and "Strasse", "Bürger" and "Buerger" meet."""
    return word.lower().translate(_FOLD)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    words = get_stop_words("de")
    return frozenset(fold(w) for w in words) | frozenset(w.lower() for w in words)


@lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    return fold(simplemma.lemmatize(word, lang="de"))


def normalise(text: str) -> str:
    """The comment as a string of folded German lemmas without stop words."""
    stops = stop_words()
    out = []
    for match in _WORD.finditer(_ADDRESS.sub(" ", text[:MAX_ANALYSED_CHARS])):
        word = match.group(0)
        if word.lower() in stops or len(word) < 2:
            continue
        lemma = _lemma(word)
        if lemma in stops:
            continue
        out.append(lemma)
    return " ".join(out)


def _latin_share(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    latin = sum(1 for c in letters if "LATIN" in unicodedata.name(c, ""))
    return latin / len(letters)


@lru_cache(maxsize=1)
def _stop_word_sets() -> dict[str, frozenset[str]]:
    return {lang: frozenset(w.lower() for w in get_stop_words(lang)) for lang in LANGUAGES}


def detect_language(text: str) -> str:
    """ "de", "en", "tr", ... or "unk" (no words, or a script other than Latin, or too short to tell).

    First the stop words of each language (fast, and decisive for sentences); a text with too few of them is German
    when most of its words are in the German dictionary."""
    sample = _ADDRESS.sub(" ", text[:1000])
    words = [w.lower() for w in _WORD.findall(sample) if len(w) > 1]
    if not words or _latin_share(sample) < 0.5:
        return UNKNOWN
    hits = {lang: sum(1 for w in words if w in stops) for lang, stops in _stop_word_sets().items()}
    best = max(hits, key=lambda lang: (hits[lang], lang == "de"))
    if hits[best] >= 2 or (hits[best] == 1 and len(words) <= 4):
        if hits["de"] >= hits[best]:
            return "de"
        return best
    # Few stop words (a list of keywords): the share of words simplemma's German dictionary knows (only German's
    # is loaded: each further language's dictionary costs 20 to 140 MB of memory).
    raw = [w for w in _WORD.findall(sample) if len(w) > 1][:60]
    if _known_share(raw, "de") >= 0.5:
        return "de"
    if hits[best] >= 1:
        return best
    if len(raw) <= 3:
        return "de"  # one or two unknown words (names, typos) in a German city's survey
    return UNKNOWN


@lru_cache(maxsize=200_000)
def _known(word: str, lang: str) -> bool:
    return simplemma.is_known(word, lang=lang) or simplemma.is_known(word.lower(), lang=lang)


def _known_share(words: list[str], lang: str) -> float:
    return sum(1 for w in words if _known(w, lang)) / len(words) if words else 0.0


@dataclass
class Suggestion:
    label: str | None
    confidence: float


class Suggester:
    """Trained on (text, label) pairs; suggests a label with its confidence and finds similar texts."""

    def __init__(self) -> None:
        self.vectoriser = FeatureUnion([
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                                      token_pattern=r"(?u)\b\w\w+\b", lowercase=False)),  # noqa: S106
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1,
                                      max_features=200_000, lowercase=False, dtype=np.float32)),
        ])
        self.classifier: SGDClassifier | None = None
        self.labels: list[str] = []
        self.only_label: str | None = None

    def fit(self, corpus: list[str], texts: list[str], labels: list[str], weights: list[float] | None = None):
        """``corpus``: every normalised text of the survey (the vocabulary); ``texts``/``labels``: the training
        pairs (normalised)."""
        self.vectoriser.fit(corpus + texts)
        self.labels = sorted(set(labels))
        if not self.labels:
            return self
        if len(self.labels) == 1:
            self.only_label = self.labels[0]
            return self
        matrix = self.vectoriser.transform(texts)
        # Logistic loss by stochastic gradient descent: probabilities like a logistic regression, trained in a
        # fraction of a second on thousands of comments (lbfgs needs seconds).
        self.classifier = SGDClassifier(loss="log_loss", alpha=1e-4, max_iter=50, tol=1e-3, random_state=0)
        self.classifier.fit(matrix, labels, sample_weight=np.asarray(weights) if weights is not None else None)
        return self

    def transform(self, texts: list[str]):
        return self.vectoriser.transform(texts)

    def suggest(self, matrix) -> list[Suggestion]:
        rows = matrix.shape[0]
        if self.only_label is not None:
            return [Suggestion(self.only_label, 0.5) for _ in range(rows)]
        if self.classifier is None or rows == 0:
            return [Suggestion(None, 0.0) for _ in range(rows)]
        probabilities = self.classifier.predict_proba(matrix)
        best = probabilities.argmax(axis=1)
        classes = self.classifier.classes_
        empty = np.asarray(matrix.getnnz(axis=1) == 0) if sparse.issparse(matrix) else np.zeros(rows, bool)
        return [Suggestion(None, 0.0) if empty[i] else Suggestion(str(classes[b]), float(probabilities[i, b]))
                for i, b in enumerate(best)]


def similar(matrix, row: int, candidates: np.ndarray | None = None, threshold: float = 0.3, limit: int = 50):
    """Rows of ``matrix`` most similar to ``row`` (cosine; the TF-IDF rows are L2-normalised per part), best
    first, as (row index, similarity)."""
    vector = matrix[row]
    scores = (matrix @ vector.T).toarray().ravel() / 2.0  # two normalised parts: the maximum is 2
    scores[row] = -1.0
    if candidates is not None:
        mask = np.full(scores.shape, False)
        mask[candidates] = True
        scores[~mask] = -1.0
    order = np.argsort(-scores)[:limit]
    return [(int(i), float(scores[i])) for i in order if scores[i] >= threshold]


@dataclass
class Topic:
    words: list[str]
    rows: list[int]


def topics(texts: list[str], count: int | None = None, words: int = 6) -> list[Topic]:
    """NMF topics of normalised texts: the top words of each and the rows that belong to it most, best first."""
    texts = [t for t in texts]
    useful = [i for i, t in enumerate(texts) if t.strip()]
    if len(useful) < 6:
        return []
    count = count or max(2, min(8, len(useful) // 15))
    vectoriser = TfidfVectorizer(analyzer="word", max_df=0.8, min_df=2, sublinear_tf=True, lowercase=False)
    try:
        matrix = vectoriser.fit_transform([texts[i] for i in useful])
    except ValueError:  # no word occurs twice
        return []
    if matrix.shape[1] < count:
        return []
    model = NMF(n_components=count, init="nndsvd", random_state=0, max_iter=300)
    weights = model.fit_transform(matrix)
    vocabulary = vectoriser.get_feature_names_out()
    owner = weights.argmax(axis=1)
    result = []
    for k, component in enumerate(model.components_):
        members = [useful[i] for i in np.argsort(-weights[:, k]) if owner[i] == k and weights[i, k] > 0]
        if not members:
            continue
        result.append(Topic([str(vocabulary[i]) for i in np.argsort(-component)[:words]], members))
    result.sort(key=lambda t: -len(t.rows))
    return result
