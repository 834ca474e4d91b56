"""Coding citizen comments: the codebook, codings, suggestions that learn, and what each group said.

Codebook: one code per action field (key = the field's code, e.g. ``MOB``) and sub-codes the team defines (key
``MOB.parken``). Codes are renamed (label, description, example words; the key stays, files refer to it),
retired (kept on the comments already coded, offered no more) and merged (the codings move to the other code).

Every coding records who set it, when, and whether it was a suggestion accepted as it was. The suggestions
(``planner.surveys.suggest``) are re-trained from the confirmed codes whenever they changed: the trained model, the
comments' vectors and the training's fingerprint are cached per survey in ``instance/coding/`` and each uncoded
comment's best code and confidence are stored on the comment, so the queue is one indexed query.

Services take the acting user and only flush(); the request or CLI command commits.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import pickle
import re
import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, select, update

from planner.core.errors import DomainError
from planner.core.lazy import lazy_import
from planner.core.models import utcnow
from planner.extensions import db
from planner.fields.services import require_current_process
from planner.surveys import suggest
from planner.surveys.models import (
    CommentCode,
    CommentCoding,
    CommentType,
    QuestionKind,
    Survey,
    SurveyComment,
    SurveyQuestion,
    SurveyResponse,
)
from planner.surveys.services import require_manage

# Imported when first used (a second of every process's start otherwise).
np = lazy_import("numpy")
chi2_contingency = lazy_import("scipy.stats", "chi2_contingency")

SLUG = re.compile(r"^[a-z0-9äöüß][a-z0-9äöüß_-]{0,39}$")
MIN_CELL = 10  # cross-tab cells with fewer comments are suppressed
SIMILAR_THRESHOLD = 0.35
RETRAIN_EVERY = 20  # new codes of a survey after which its suggestions are re-trained while staff work
CACHE_VERSION = 2
MODELS_IN_MEMORY = 2  # trained models kept per process (the surveys being coded), the least recently used go


class CommandLineActor:
    """Whoever runs ``flask suggest-codes`` / ``apply-codes`` at the server's shell without ``--user``: allowed to
    code, recorded as no account."""

    is_authenticated = True
    id = None

    @property
    def role(self):
        from planner.core.permissions import Role

        return Role.ADMIN


class CodesFileRejected(DomainError):
    """A code file with row errors: nothing was stored."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(_l("%(count)s errors in the file; no code was stored.", count=len(errors)))
        self.errors = errors


# --- codebook ---------------------------------------------------------------------------------------------

def codebook(include_retired: bool = True) -> list[CommentCode]:
    from planner.fields.models import ActionField

    stmt = select(CommentCode).join(ActionField, CommentCode.field_id == ActionField.id)
    if not include_retired:
        stmt = stmt.where(CommentCode.retired_at.is_(None))
    return list(db.session.scalars(stmt.order_by(ActionField.position, ActionField.code, CommentCode.slug)))


def code_by_key(key: str) -> CommentCode | None:
    return db.session.scalar(select(CommentCode).where(CommentCode.key == key.strip()))


def seed_codebook(user) -> int:
    """One code per action field that has none yet; each field code's training words are its names and
    descriptions and the needs captured for the field. Returns how many codes were created."""
    require_manage(user)
    from planner.fields.models import ActionField
    from planner.findings.models import Finding, FindingKind

    existing = {c.field_id: c for c in db.session.scalars(select(CommentCode).where(CommentCode.slug == ""))}
    needs = defaultdict(list)
    for field_id, text in db.session.execute(
        select(Finding.field_id, Finding.text).where(Finding.kind == FindingKind.NEED, Finding.is_hidden.is_(False))
    ):
        needs[field_id].append(text[:500])
    created = 0
    for action_field in db.session.scalars(select(ActionField).where(ActionField.retired_at.is_(None))):
        texts = [t for t in (action_field.name_de, action_field.name_en, action_field.description_de)
                 if t] + needs[action_field.id]
        code = existing.get(action_field.id)
        if code is None:
            code = CommentCode(key=action_field.code, field_id=action_field.id, slug="", label=action_field.name_de,
                               description=action_field.description_de or "", examples="")
            db.session.add(code)
            created += 1
        code.seed_texts = texts
    db.session.flush()
    return created


def _clean_examples(examples: str) -> str:
    words = [w.strip() for w in re.split(r"[,;\n]", examples or "") if w.strip()]
    return ", ".join(words)


def create_code(user, field_id, slug: str, label: str, description: str = "", examples: str = "") -> CommentCode:
    require_manage(user)
    parent = db.session.scalar(select(CommentCode).where(CommentCode.field_id == field_id, CommentCode.slug == ""))
    if parent is None:
        raise DomainError(_l("Please choose an action field of the codebook."), field="field")
    slug = (slug or "").strip().lower()
    if not SLUG.match(slug):
        raise DomainError(_l("The short name takes 1 to 40 lower-case letters, digits, '-' or '_' "
                             "(e.g. parken)."), field="slug")
    key = f"{parent.key}.{slug}"
    if code_by_key(key) is not None:
        raise DomainError(_l("The code %(key)s exists already.", key=key), field="slug")
    label = _required_label(label)
    code = CommentCode(key=key, field_id=parent.field_id, slug=slug, label=label,
                       description=(description or "").strip()[:5000], examples=_clean_examples(examples),
                       seed_texts=[])
    db.session.add(code)
    db.session.flush()
    return code


def _required_label(label: str) -> str:
    label = (label or "").strip()
    if not label:
        raise DomainError(_l("Please enter a name."), field="label")
    if len(label) > 120:
        raise DomainError(_l("The name is too long (at most 120 characters)."), field="label")
    return label


def rename_code(user, code: CommentCode, label: str, description: str = "", examples: str = "") -> CommentCode:
    """A new name, description and example words; the key (used in code files) and the codings stay."""
    require_manage(user)
    code.label = _required_label(label)
    code.description = (description or "").strip()[:5000]
    code.examples = _clean_examples(examples)
    db.session.flush()
    return code


def retire_code(user, code: CommentCode) -> CommentCode:
    require_manage(user)
    if code.is_retired:
        raise DomainError(_l("The code is retired already."))
    code.retired_at = utcnow()
    db.session.execute(update(SurveyComment).where(SurveyComment.suggested_code_id == code.id)
                       .values(suggested_code_id=None, suggestion_confidence=None))
    db.session.flush()
    return code


def reinstate_code(user, code: CommentCode) -> CommentCode:
    require_manage(user)
    if code.merged_into_id is not None:
        raise DomainError(_l("A merged code cannot come back; create it anew."))
    code.retired_at = None
    db.session.flush()
    return code


def merge_codes(user, source: CommentCode, target: CommentCode) -> int:
    """Moves every coding of ``source`` to ``target`` (a comment coded with both keeps one) and retires
    ``source``. Returns the number of comments that now carry ``target`` through the merge."""
    require_manage(user)
    if source.id == target.id:
        raise DomainError(_l("Please choose another code to merge into."), field="target")
    if target.is_retired:
        raise DomainError(_l("A retired code cannot take other codes."), field="target")
    already = select(CommentCoding.comment_id).where(CommentCoding.code_id == target.id)
    db.session.execute(delete(CommentCoding).where(CommentCoding.code_id == source.id,
                                                   CommentCoding.comment_id.in_(already)))
    moved = db.session.execute(update(CommentCoding).where(CommentCoding.code_id == source.id)
                               .values(code_id=target.id)).rowcount
    db.session.execute(update(SurveyComment).where(SurveyComment.suggested_code_id == source.id)
                       .values(suggested_code_id=target.id))
    source.retired_at = utcnow()
    source.merged_into_id = target.id
    db.session.flush()
    db.session.expire_all()
    return moved


# --- coding -------------------------------------------------------------------------------------------------

def _require_codable(user, comment: SurveyComment) -> None:
    require_manage(user)
    require_current_process(comment.survey.process_id)


def _active_codes(code_ids) -> list[CommentCode]:
    ids = []
    for raw in code_ids:
        if raw in (None, ""):
            continue
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            raise DomainError(_l("Unknown code."), field="code") from None
    codes = []
    for code_id in dict.fromkeys(ids):
        code = db.session.get(CommentCode, code_id)
        if code is None:
            raise DomainError(_l("Unknown code."), field="code")
        if code.is_retired:
            raise DomainError(_l("The code %(key)s is retired; please choose another.", key=code.key), field="code")
        codes.append(code)
    return codes


def set_codes(user, comment: SurveyComment, code_ids, comment_type: str | None = None, *,
              from_suggestion: bool = False, source: str = "web", keep_others: bool = False,
              flush: bool = True) -> SurveyComment:
    """The comment's codes become ``code_ids`` (with ``keep_others`` they are added). A code it had already keeps
    who set it and when. The comment's action field (its tag) follows the first code. ``flush=False`` leaves the
    flush to the caller (one for many comments)."""
    _require_codable(user, comment)
    codes = _active_codes(code_ids)
    if comment_type not in (None, ""):
        try:
            comment.comment_type = CommentType(comment_type)
        except ValueError:
            raise DomainError(_l("Unknown type."), field="comment_type") from None
    elif not keep_others:
        comment.comment_type = None
    current = {c.code_id: c for c in comment.codings}
    wanted = {c.id for c in codes}
    if not keep_others:
        for code_id, coding in current.items():
            if code_id not in wanted:
                comment.codings.remove(coding)
    for code in codes:
        if code.id not in current:
            comment.codings.append(CommentCoding(
                code_id=code.id, coded_by_id=getattr(user, "id", None), from_suggestion=from_suggestion,
                confidence=comment.suggestion_confidence if from_suggestion else None, source=source))
    if codes and (not keep_others or comment.field_id is None):
        comment.field_id = codes[0].field_id
    elif not codes and not keep_others:
        comment.field_id = None
    if flush:
        db.session.flush()
    return comment


def accept_suggestion(user, comment: SurveyComment) -> SurveyComment:
    if comment.suggested_code_id is None:
        raise DomainError(_l("There is no suggestion for this comment; please choose a code."))
    return set_codes(user, comment, [comment.suggested_code_id], comment.comment_type, from_suggestion=True)


def accept_similar(user, comment: SurveyComment, code_id, instance_path: str) -> int:
    """Gives ``code_id`` to the comment and to every uncoded comment of the survey similar to it. Returns how
    many other comments were coded."""
    _require_codable(user, comment)
    (code,) = _active_codes([code_id]) or (None,)
    if code is None:
        raise DomainError(_l("Please choose a code."), field="code")
    set_codes(user, comment, [code.id], comment.comment_type, keep_others=True)
    others = similar_comments(comment, instance_path, uncoded_only=True)
    for other, _score in others:
        set_codes(user, other, [code.id], None, from_suggestion=True, source="similar", keep_others=True,
                  flush=False)
    db.session.flush()
    return len(others)


def uncoded(survey_id: int):
    """Comments of the survey without a code, most confident suggestion first (then those without one; newest first
    among equals): the order of the index ix_survey_comments_queue, so the first page of the queue is read without
    sorting the survey's comments."""
    has_code = exists().where(CommentCoding.comment_id == SurveyComment.id)
    return (select(SurveyComment).where(SurveyComment.survey_id == survey_id, ~has_code)
            .order_by(SurveyComment.suggestion_confidence.desc().nulls_last(), SurveyComment.id.desc()))


@dataclass
class Progress:
    total: int
    coded: int
    accepted: int  # codings that were suggestions accepted as they were
    codings: int
    other_languages: int
    empty: int

    @property
    def share(self) -> float:
        return self.coded / self.total if self.total else 0.0


def progress(survey_id: int) -> Progress:
    """Two queries, whatever the number of comments (the coding page shows it after every step)."""
    from sqlalchemy import case

    other = case((SurveyComment.language.not_in(("de", suggest.UNKNOWN)), 1), else_=0)
    unknown = case((SurveyComment.language == suggest.UNKNOWN, 1), else_=0)
    total, other_languages, empty = db.session.execute(
        select(func.count(), func.coalesce(func.sum(other), 0), func.coalesce(func.sum(unknown), 0))
        .where(SurveyComment.survey_id == survey_id)).one()
    accepted = case((CommentCoding.from_suggestion.is_(True), 1), else_=0)
    coded, accepted_count, codings = db.session.execute(
        select(func.count(func.distinct(CommentCoding.comment_id)), func.coalesce(func.sum(accepted), 0),
               func.count())
        .join(SurveyComment, SurveyComment.id == CommentCoding.comment_id)
        .where(SurveyComment.survey_id == survey_id)).one()
    return Progress(total, coded, int(accepted_count), codings, int(other_languages), int(empty))


# --- suggestions --------------------------------------------------------------------------------------------

def _cache_path(instance_path: str, survey_id: int) -> Path:
    """The survey's model file. Its name holds the start of the file's SHA-256 besides the id: a survey imported after
    all rows were removed (the demo's removal) may get the same id, and must never be given another survey's model."""
    survey = db.session.get(Survey, survey_id)
    tag = survey.sha256[:12] if survey is not None and survey.sha256 else "none"
    return Path(instance_path) / "coding" / f"survey-{survey_id}-{tag}.pickle"


def _cache_files(instance_path: str, survey_id: int) -> list[Path]:
    """Every cache file of a survey id (also those of an earlier survey with that id, and the older names)."""
    folder = Path(instance_path) / "coding"
    return [*folder.glob(f"survey-{survey_id}-*"), *folder.glob(f"survey-{survey_id}.*")]


def _training(survey_id: int) -> tuple[list[str], list[str], list[float], str]:
    """(texts, labels, weights, fingerprint): the confirmed codes of every survey (a comment of an earlier wave
    teaches as well) and the codebook's words, labelled with active codes only."""
    codes = {c.id: c for c in codebook()}
    field_code = {c.field_id: c for c in codes.values() if not c.slug}

    def active_label(code: CommentCode | None) -> str | None:
        while code is not None and code.merged_into_id is not None:
            code = codes.get(code.merged_into_id)
        if code is None:
            return None
        if code.is_retired:
            parent = field_code.get(code.field_id)
            return parent.key if parent is not None and not parent.is_retired else None
        return code.key

    texts, labels, weights = [], [], []
    digest = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    for code in codes.values():
        label = active_label(code)
        words = [code.label, code.description, code.examples, *(code.seed_texts or [])]
        digest.update(f"{code.id}:{label}:{'|'.join(words)}".encode())
        if label is None:
            continue
        for text in words:
            if text and text.strip():
                texts.append(text)
                labels.append(label)
                weights.append(0.5)
    rows = db.session.execute(select(CommentCoding.comment_id, CommentCoding.code_id, SurveyComment.text)
                              .join(SurveyComment, SurveyComment.id == CommentCoding.comment_id)
                              .order_by(CommentCoding.comment_id, CommentCoding.code_id)).all()
    for comment_id, code_id, text in rows:
        label = active_label(codes.get(code_id))
        digest.update(f"{comment_id}:{label};".encode())
        if label is not None:
            texts.append(text)
            labels.append(label)
            weights.append(1.0)
    # Comments tagged with a field before the codebook existed teach the field's code.
    has_code = exists().where(CommentCoding.comment_id == SurveyComment.id)
    for comment_id, field_id, text in db.session.execute(
            select(SurveyComment.id, SurveyComment.field_id, SurveyComment.text)
            .where(SurveyComment.field_id.is_not(None), ~has_code).order_by(SurveyComment.id)):
        code = field_code.get(field_id)
        label = active_label(code) if code is not None else None
        digest.update(f"t{comment_id}:{label};".encode())
        if label is not None:
            texts.append(text)
            labels.append(label)
            weights.append(1.0)
    return texts, labels, weights, digest.hexdigest()


@dataclass
class Model:
    fingerprint: str
    suggester: suggest.Suggester
    comment_ids: list[int]
    matrix: object  # sparse: one row per comment of the survey, in comment_ids' order
    languages: list[str]
    row_of: dict[int, int] = field(default_factory=dict)

    def __post_init__(self):
        self.row_of = {comment_id: i for i, comment_id in enumerate(self.comment_ids)}


class _Models:
    """Trained models kept in the process's memory, keyed by their file and its state (modification time and size):
    loading one from disk costs a tenth of a second at 10,000 comments, and the coding page, "similar comments" and
    the analysis (a representative comment per code) need it on every request. A model re-trained by another
    process (the job worker, another web worker) has a new file state and is read again. Only the
    MODELS_IN_MEMORY most recently used stay (each holds its survey's TF-IDF vectors)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[tuple[int, int], Model]] = {}

    @staticmethod
    def _state(path: Path) -> tuple[int, int] | None:
        try:
            info = os.stat(path)
        except OSError:
            return None
        return info.st_mtime_ns, info.st_size

    def get(self, path: Path) -> Model | None:
        state = self._state(path)
        if state is None:
            return None
        with self._lock:
            found = self._items.pop(str(path), None)
            if found is not None and found[0] == state:
                self._items[str(path)] = found  # the most recently used last
                return found[1]
        model = _read(path)
        if model is not None:
            self.put(path, model, state)
        return model

    def put(self, path: Path, model: Model, state: tuple[int, int] | None = None) -> None:
        state = state or self._state(path)
        if state is None:
            return
        with self._lock:
            self._items.pop(str(path), None)
            self._items[str(path)] = (state, model)
            while len(self._items) > MODELS_IN_MEMORY:
                self._items.pop(next(iter(self._items)))

    def forget(self, path: Path) -> None:
        with self._lock:
            self._items.pop(str(path), None)


MODELS = _Models()


def _read(path: Path) -> Model | None:
    try:
        with path.open("rb") as handle:
            # Our own file in the instance folder, written by train() below (never an uploaded one).
            model = pickle.load(handle)  # noqa: S301
    except Exception:  # noqa: BLE001 - a broken or outdated cache is rebuilt
        return None
    return model if isinstance(model, Model) else None


def _load(path: Path) -> Model | None:
    return MODELS.get(path)


def _fingerprint(survey_id: int) -> tuple[list[str], list[str], list[float], str]:
    texts, labels, weights, fingerprint = _training(survey_id)
    comment_count = db.session.scalar(select(func.count()).where(SurveyComment.survey_id == survey_id)) or 0
    return texts, labels, weights, f"{fingerprint}:{comment_count}"


def model_for(survey_id: int, instance_path: str, *, retrain: bool = True) -> Model | None:
    """The survey's trained model, re-trained when the confirmed codes, the codebook or the comments changed.
    ``retrain=False``: the model as last trained (or None), without reading the training data."""
    path = _cache_path(instance_path, survey_id)
    model = _load(path)
    if not retrain:
        return model
    texts, labels, weights, fingerprint = _fingerprint(survey_id)
    if model is not None and model.fingerprint == fingerprint:
        return model
    return train(survey_id, instance_path, texts, labels, weights, fingerprint)


def train(survey_id, instance_path, texts, labels, weights, fingerprint) -> Model:
    rows = db.session.execute(select(SurveyComment.id, SurveyComment.text, SurveyComment.language)
                              .where(SurveyComment.survey_id == survey_id).order_by(SurveyComment.id)).all()
    ids = [r[0] for r in rows]
    languages = [r[2] or suggest.detect_language(r[1]) for r in rows]
    normalised = [suggest.normalise(r[1]) for r in rows]
    training = [suggest.normalise(t) for t in texts]
    suggester = suggest.Suggester().fit(normalised, training, labels, weights)
    matrix = suggester.transform(normalised).tocsr()
    model = Model(fingerprint, suggester, ids, matrix, languages)
    path = _cache_path(instance_path, survey_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("wb") as handle:
        pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)  # readers in other processes see the old file or the new one, never half of it
    MODELS.put(path, model)
    for other in _cache_files(instance_path, survey_id):
        if other.stem != path.stem and not other.name.endswith(".tmp"):
            other.unlink(missing_ok=True)  # an earlier survey's files under the same id
    path.with_suffix(".json").write_text(json.dumps({"fingerprint": fingerprint,
                                                     "codings": _codings_count(survey_id)}))
    return model


def _codings_count(survey_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(CommentCoding)
                             .join(SurveyComment, SurveyComment.id == CommentCoding.comment_id)
                             .where(SurveyComment.survey_id == survey_id)) or 0


def forget_model(survey_id: int, instance_path: str) -> None:
    """Removes the survey's cached model and vectors (after the survey was deleted)."""
    for file in _cache_files(instance_path, survey_id):
        MODELS.forget(file)
        file.unlink(missing_ok=True)


def has_model(survey_id: int, instance_path: str) -> bool:
    return _cache_path(instance_path, survey_id).exists()


def never_suggested(survey_id: int) -> bool:
    """No comment of the survey has been looked at by the suggestions yet (their language is stored then)."""
    return db.session.scalar(select(SurveyComment.id).where(SurveyComment.survey_id == survey_id,
                                                            SurveyComment.language.is_not(None)).limit(1)) is None


def needs_refresh(survey_id: int, instance_path: str) -> bool:
    """True after RETRAIN_EVERY codes (set or removed) since the last training: cheap enough for every request
    (one count and a small file)."""
    meta = _cache_path(instance_path, survey_id).with_suffix(".json")
    try:
        trained = json.loads(meta.read_text())["codings"]
    except (OSError, ValueError, KeyError):
        return True
    return abs(_codings_count(survey_id) - trained) >= RETRAIN_EVERY


@dataclass
class RefreshResult:
    comments: int
    suggested: int
    other_languages: int
    retrained: bool


def refresh_suggestions(survey: Survey, instance_path: str) -> RefreshResult:
    """Re-trains when needed and stores each comment's language and best code with its confidence (German
    comments only; an empty or other-language comment gets none)."""
    before = _load(_cache_path(instance_path, survey.id))
    model = model_for(survey.id, instance_path)
    retrained = model is not before
    keys = {c.key: c.id for c in codebook(include_retired=False)}
    suggestions = model.suggester.suggest(model.matrix)
    values = []
    suggested = other = 0
    for comment_id, language, suggestion in zip(model.comment_ids, model.languages, suggestions, strict=True):
        code_id = keys.get(suggestion.label) if language == "de" else None
        if language not in ("de", suggest.UNKNOWN):
            other += 1
        if code_id is not None:
            suggested += 1
        values.append({"b_id": comment_id, "b_language": language, "b_code": code_id,
                       "b_confidence": round(suggestion.confidence, 4) if code_id is not None else None})
    if values:
        from sqlalchemy import bindparam

        table = SurveyComment.__table__
        statement = (table.update().where(table.c.id == bindparam("b_id"))
                     .values(language=bindparam("b_language"), suggested_code_id=bindparam("b_code"),
                             suggestion_confidence=bindparam("b_confidence")))
        db.session.execute(statement, values, execution_options={"synchronize_session": False})
        # Only the comments loaded in the session are read again (not every object of the request or command: a
        # caller's other objects keep what they hold, e.g. the order of a relationship it built).
        for item in list(db.session.identity_map.values()):
            if isinstance(item, SurveyComment):
                db.session.expire(item, ["language", "suggested_code_id", "suggestion_confidence", "suggested_code"])
    db.session.flush()
    return RefreshResult(len(values), suggested, other, retrained)


def suggestions_stale(survey_id: int, instance_path: str) -> bool:
    model = _load(_cache_path(instance_path, survey_id))
    return model is None or model.fingerprint != _fingerprint(survey_id)[3]


def similar_comments(comment: SurveyComment, instance_path: str, *, uncoded_only: bool = True,
                     limit: int = 50) -> list[tuple[SurveyComment, float]]:
    model = model_for(comment.survey_id, instance_path, retrain=False) or model_for(comment.survey_id,
                                                                                      instance_path)
    row = model.row_of.get(comment.id)
    if row is None:
        return []
    candidates = None
    if uncoded_only:
        coded = set(db.session.scalars(select(CommentCoding.comment_id)
                                       .join(SurveyComment, SurveyComment.id == CommentCoding.comment_id)
                                       .where(SurveyComment.survey_id == comment.survey_id)))
        candidates = np.array([i for i, cid in enumerate(model.comment_ids)
                               if cid not in coded and model.languages[i] == "de"], dtype=int)
        if candidates.size == 0:
            return []
    hits = suggest.similar(model.matrix, row, candidates, threshold=SIMILAR_THRESHOLD, limit=limit)
    by_id = {c.id: c for c in db.session.scalars(select(SurveyComment).where(
        SurveyComment.id.in_([model.comment_ids[i] for i, _ in hits])))}
    return [(by_id[model.comment_ids[i]], score) for i, score in hits if model.comment_ids[i] in by_id]


# --- files (CLI) ----------------------------------------------------------------------------------------------

def suggestion_rows(survey: Survey, instance_path: str) -> list[dict]:
    """One row per comment: comment_id, text (unchanged), suggested_code, confidence ("" where there is none)."""
    refresh_suggestions(survey, instance_path)
    keys = {c.id: c.key for c in codebook()}
    rows = []
    for comment in db.session.scalars(select(SurveyComment).where(SurveyComment.survey_id == survey.id)
                                      .order_by(SurveyComment.id)):
        code = keys.get(comment.suggested_code_id)
        rows.append({"comment_id": comment.id, "text": comment.text, "suggested_code": code or "",
                     "confidence": f"{comment.suggestion_confidence:.3f}" if code else ""})
    return rows


def write_suggestions_csv(rows: list[dict], out) -> None:
    writer = csv.DictWriter(out, fieldnames=["comment_id", "text", "suggested_code", "confidence"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def read_codes_file(raw: bytes) -> list[tuple[int, dict]]:
    """(line, row) pairs of a CSV with the columns comment_id and code (comma or semicolon, UTF-8 or
    Windows-1252 as Excel writes it)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    if "comment_id" not in header or "code" not in header:
        raise CodesFileRejected([(1, str(_l("The file needs the columns comment_id and code.")))])
    reader.fieldnames = header
    return [(index + 2, row) for index, row in enumerate(reader)]


def apply_codes(user, survey: Survey, raw: bytes) -> int:
    """Confirms the codes of a file: every row or none (CodesFileRejected names each bad row). A comment keeps
    the codes it has; several rows for one comment give it several codes. Returns the codings added."""
    require_manage(user)
    require_current_process(survey.process_id)
    rows = read_codes_file(raw)
    comment_ids = set(db.session.scalars(select(SurveyComment.id).where(SurveyComment.survey_id == survey.id)))
    codes = {c.key: c for c in codebook()}
    errors: list[tuple[int, str]] = []
    wanted: dict[int, list[int]] = defaultdict(list)
    for line, row in rows:
        raw_id, key = (row.get("comment_id") or "").strip(), (row.get("code") or "").strip()
        if not raw_id and not key:
            continue
        if not raw_id.isdigit() or int(raw_id) not in comment_ids:
            errors.append((line, str(_l("unknown comment id “%(id)s” (not a comment of this survey)",
                                        id=raw_id[:40]))))
            continue
        code = codes.get(key)
        if code is None:
            errors.append((line, str(_l("unknown code “%(code)s”", code=key[:60]))))
            continue
        if code.is_retired:
            errors.append((line, str(_l("the code “%(code)s” is retired", code=key))))
            continue
        wanted[int(raw_id)].append(code.id)
    if errors:
        raise CodesFileRejected(errors)
    if not wanted:
        raise CodesFileRejected([(1, str(_l("The file has no rows.")))])
    added = 0
    for comment_id, code_ids in wanted.items():
        comment = db.session.get(SurveyComment, comment_id)
        before = len(comment.codings)
        set_codes(user, comment, code_ids, None, source="file", keep_others=True)
        added += len(comment.codings) - before
    return added


# --- analysis ------------------------------------------------------------------------------------------------

@dataclass
class CodeCount:
    code: CommentCode
    count: int


def code_counts(survey_id: int) -> list[CodeCount]:
    counts = dict(db.session.execute(
        select(CommentCoding.code_id, func.count()).join(SurveyComment, SurveyComment.id == CommentCoding.comment_id)
        .where(SurveyComment.survey_id == survey_id).group_by(CommentCoding.code_id)).all())
    return [CodeCount(c, counts.get(c.id, 0)) for c in codebook() if counts.get(c.id) or not c.is_retired]


def demographic_questions(survey: Survey) -> list[SurveyQuestion]:
    return [q for q in survey.questions if q.kind == QuestionKind.DEMOGRAPHIC]


@dataclass
class Cell:
    count: int
    expected: float
    suppressed: bool

    @property
    def lift(self) -> float | None:
        return None if self.suppressed or not self.expected else self.count / self.expected


@dataclass
class CrossRow:
    code: CommentCode
    cells: list[Cell]
    total: int
    p_value: float | None


@dataclass
class CrossTab:
    question: SurveyQuestion
    groups: list[str]
    rows: list[CrossRow]
    group_totals: list[int]
    base: int  # coded comments with an answer to the question


def crosstab(survey: Survey, question: SurveyQuestion) -> CrossTab:
    """Code × answer group (district, age group): counts, lift (observed / expected) and the chi-square p-value of
    each code against the other coded comments; cells under 10 comments are suppressed."""
    answer = SurveyResponse.answers[question.key].as_string()
    pairs = db.session.execute(
        select(CommentCoding.comment_id, CommentCoding.code_id, answer)
        .join(SurveyComment, SurveyComment.id == CommentCoding.comment_id)
        .join(SurveyResponse, SurveyResponse.id == SurveyComment.response_id)
        .where(SurveyComment.survey_id == survey.id)).all()
    pairs = [(c, k, g) for c, k, g in pairs if g not in (None, "")]
    order = [o for o in (question.options or []) if isinstance(o, str)]
    seen = sorted({g for _, _, g in pairs} - set(order))
    groups = [g for g in order if any(g == p[2] for p in pairs)] + seen
    group_of_comment = {c: g for c, _, g in pairs}
    base_by_group = Counter(group_of_comment.values())
    base = sum(base_by_group.values())
    by_code: dict[int, Counter] = defaultdict(Counter)
    for _comment_id, code_id, group in pairs:
        by_code[code_id][group] += 1
    codes = {c.id: c for c in codebook()}
    rows = []
    for code_id, counter in sorted(by_code.items(), key=lambda item: (-sum(item[1].values()), item[0])):
        total = sum(counter.values())
        cells = []
        for group in groups:
            expected = total * base_by_group[group] / base if base else 0.0
            cells.append(Cell(counter[group], expected, counter[group] < MIN_CELL))
        table = [[counter[g] for g in groups], [base_by_group[g] - counter[g] for g in groups]]
        p_value = None
        usable = [i for i, g in enumerate(groups) if base_by_group[g] > 0]
        if len(usable) >= 2 and total >= MIN_CELL and base - total > 0:
            matrix = np.array([[table[0][i] for i in usable], [table[1][i] for i in usable]])
            if (matrix.sum(axis=0) > 0).all() and (matrix.sum(axis=1) > 0).all():
                p_value = float(chi2_contingency(matrix)[1])
                p_value = None if math.isnan(p_value) else p_value
        rows.append(CrossRow(codes[code_id], cells, total, p_value))
    return CrossTab(question, groups, rows, [base_by_group[g] for g in groups], base)


def representatives(survey_id: int, code: CommentCode, instance_path: str, count: int = 3) -> list[SurveyComment]:
    """The comments of a code closest to the centre of all its comments (by their TF-IDF vectors)."""
    ids = list(db.session.scalars(select(CommentCoding.comment_id)
                                  .join(SurveyComment, SurveyComment.id == CommentCoding.comment_id)
                                  .where(SurveyComment.survey_id == survey_id, CommentCoding.code_id == code.id)
                                  .order_by(CommentCoding.comment_id)))
    if not ids:
        return []
    model = model_for(survey_id, instance_path, retrain=False) or model_for(survey_id, instance_path)
    rows = [model.row_of[i] for i in ids if i in model.row_of]
    chosen = ids[:count * CANDIDATES]
    if rows:
        chosen = _central(model, rows, count * CANDIDATES)
    by_id = {c.id: c for c in db.session.scalars(select(SurveyComment).where(SurveyComment.id.in_(chosen)))}
    texts = _distinct([i for i in chosen if i in by_id], {i: by_id[i].text for i in by_id}, count)
    return [by_id[i] for i in texts]


CANDIDATES = 8  # comments looked at per representative wanted (the same text is quoted once)
QUOTES_TRAIN_LIMIT = 3000  # comments of a survey whose missing model the paper's quotes train (about a second)


def _comment_count(survey_id: int) -> int:
    return db.session.scalar(select(func.count()).where(SurveyComment.survey_id == survey_id)) or 0


def _central(model: Model, rows: list[int], limit: int) -> list[int]:
    """Comment ids of ``rows`` closest to their centre, best first."""
    vectors = model.matrix[rows]
    centre = np.asarray(vectors.mean(axis=0)).ravel()
    order = np.argsort(-np.asarray(vectors @ centre).ravel(), kind="stable")
    return [model.comment_ids[rows[i]] for i in order[:limit]]


def _distinct(ids: list[int], texts: dict[int, str], count: int) -> list[int]:
    """The first ``count`` of ``ids`` whose texts differ (many citizens write the same sentence)."""
    seen, chosen = set(), []
    for i in ids:
        key = " ".join(texts[i].lower().split())
        if key and key not in seen:
            seen.add(key)
            chosen.append(i)
            if len(chosen) == count:
                break
    return chosen


def quotes_for(comments: dict[int, int], instance_path: str | None, count: int = 3) -> list[str]:
    """Texts of up to ``count`` representative comments among ``comments`` (comment id → survey id): those closest
    to the centre of the group in the largest survey's vectors (its model, trained here when missing and the survey is
    small), else those of a readable length."""
    if not comments:
        return []
    survey_id = Counter(comments.values()).most_common(1)[0][0]
    ids = sorted(c for c, s in comments.items() if s == survey_id)
    chosen: list[int] = []
    model = model_for(survey_id, instance_path, retrain=False) if instance_path else None
    if model is None and instance_path and _comment_count(survey_id) <= QUOTES_TRAIN_LIMIT:
        # Trained here when its cache is missing (e.g. after a restore from a backup): the same comments and codes
        # give the same vectors, so the paper quotes the same comments wherever it is built. A larger survey is
        # not trained inside the paper's build (the coding page renews it in the background).
        model = model_for(survey_id, instance_path)
    if model is not None:
        rows = [model.row_of[i] for i in ids if i in model.row_of and model.languages[model.row_of[i]] == "de"]
        if rows:
            chosen = _central(model, rows, count * CANDIDATES)
    texts = dict(db.session.execute(select(SurveyComment.id, SurveyComment.text)
                                    .where(SurveyComment.id.in_(chosen or ids[:500]))).all())
    if not chosen:
        chosen = sorted(texts, key=lambda i: (abs(len(texts[i]) - 120), i))
    return [texts[i] for i in _distinct([i for i in chosen if i in texts], texts, count)]


@dataclass
class TopicSuggestion:
    words: list[str]
    comments: list[SurveyComment]
    size: int


def remainder_topics(survey_id: int, instance_path: str, below: float = 0.5) -> list[TopicSuggestion]:
    """Topics (NMF) among the uncoded German comments whose suggestion is weak: candidates for new sub-codes."""
    has_code = exists().where(CommentCoding.comment_id == SurveyComment.id)
    rows = db.session.execute(
        select(SurveyComment.id, SurveyComment.text)
        .where(SurveyComment.survey_id == survey_id, ~has_code, SurveyComment.language == "de",
               (SurveyComment.suggestion_confidence.is_(None)) | (SurveyComment.suggestion_confidence < below))
        .order_by(SurveyComment.id).limit(5000)).all()
    digest = hashlib.sha256()
    for comment_id, text in rows:
        digest.update(f"{comment_id}\x00{text}\x01".encode())
    key = digest.hexdigest()
    with _TOPICS_LOCK:
        found = _TOPICS.get(key)
    if found is None:  # the lemmas and the NMF of thousands of comments: worth keeping while the remainder is the same
        found = suggest.topics([suggest.normalise(text) for _, text in rows])[:8]
        with _TOPICS_LOCK:
            _TOPICS[key] = found
            while len(_TOPICS) > 8:
                _TOPICS.pop(next(iter(_TOPICS)))
    wanted = [[rows[i][0] for i in topic.rows[:3]] for topic in found]
    by_id = {c.id: c for c in db.session.scalars(select(SurveyComment).where(
        SurveyComment.id.in_([i for ids in wanted for i in ids])))} if wanted else {}
    return [TopicSuggestion(topic.words, [by_id[i] for i in ids if i in by_id], len(topic.rows))
            for topic, ids in zip(found, wanted, strict=True)]


# Topics of the uncoded remainder, by a digest of its comments (ids and texts): the analysis page is reloaded while
# nobody codes, and the remainder changes with every code.
_TOPICS: dict[str, list] = {}
_TOPICS_LOCK = threading.Lock()


def create_need_from_comments(user, survey: Survey, comment_ids, field_id, text: str):
    """A need (Handlungsbedarf) from a selection of comments; each comment keeps the need as its link (source)."""
    require_manage(user)
    require_current_process(survey.process_id)
    from planner.fields.models import ActionField
    from planner.findings.models import Finding, FindingKind

    ids = sorted({int(i) for i in comment_ids if str(i).isdigit()})
    comments = list(db.session.scalars(select(SurveyComment).where(SurveyComment.survey_id == survey.id,
                                                                   SurveyComment.id.in_(ids))))
    if not comments:
        raise DomainError(_l("Please select at least one comment."), field="comments")
    if len(comments) != len(ids):
        raise DomainError(_l("Some of the selected comments do not belong to this survey."), field="comments")
    taken = [c for c in comments if c.need_id is not None]
    if taken:
        raise DomainError(_l("%(count)s of the selected comments became a need already.", count=len(taken)),
                          field="comments")
    try:
        field_id = int(field_id)
    except (TypeError, ValueError):
        field_id = None
    if field_id is None or db.session.get(ActionField, field_id) is None:
        raise DomainError(_l("Please choose an action field."), field="field")
    text = (text or "").strip()
    if not text:
        raise DomainError(_l("Please describe the need."), field="text")
    if len(text) > 5000:
        raise DomainError(_l("The text is too long (at most 5,000 characters)."), field="text")
    need = Finding(kind=FindingKind.NEED, field_id=field_id, workshop_id=None, text=text)
    db.session.add(need)
    db.session.flush()
    for comment in comments:
        comment.need_id = need.id
        if comment.field_id is None:
            comment.field_id = field_id
    db.session.flush()
    return need
