"""The city's identity and its legal pages: settings that belong to the city, not to the operator."""

from datetime import datetime

from sqlalchemy import JSON, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from planner.core.locking import Versioned
from planner.core.models import TimestampMixin, UTCDateTime
from planner.extensions import db


class CitySettings(Versioned, TimestampMixin, db.Model):
    """One row per installation (id 1): who the planner speaks for.

    Empty strings mean "not set": the config's fallback (CITY_NAME, MAIL_SENDER, FEEDBACK_EMAIL) applies.
    """

    __tablename__ = "city_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    # The administration that is responsible (Impressum, privacy notice): postal address and contact.
    authority: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    represented_by: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(60), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    data_protection_officer: Mapped[str] = mapped_column(Text, default="")
    mail_sender: Mapped[str] = mapped_column(String(254), default="")
    feedback_email: Mapped[str] = mapped_column(String(254), default="")
    # The Land's enforcement body for accessibility (Durchsetzungsstelle / Schlichtungsstelle).
    enforcement_body: Mapped[str] = mapped_column(Text, default="")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    logo_mimetype: Mapped[str] = mapped_column(String(40), default="")
    # [{"name": "Stadtbezirk I", "quarters": ["Altstadt", ...]}, ...]
    districts: Mapped[list] = mapped_column(JSON, default=list)
    # Codes of planner.people.models.Sector the city uses; empty: all of them.
    sectors: Mapped[list] = mapped_column(JSON, default=list)
    paper_template: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    paper_template_name: Mapped[str] = mapped_column(String(200), default="")
    setup_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set by `seed-demo`: the data is the demo's, and `remove-demo` may wipe it.
    demo_loaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @classmethod
    def get(cls) -> "CitySettings | None":
        return db.session.get(cls, 1)

    @classmethod
    def get_or_create(cls) -> "CitySettings":
        settings = cls.get()
        if settings is None:
            settings = cls(id=1, name="", districts=[], sectors=[])
            db.session.add(settings)
            db.session.flush()
        return settings

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_mimetype)


class LegalPage(Versioned, TimestampMixin, db.Model):
    """The administrator's text of a legal page (Markdown) in one language; absent: the built-in template."""

    __tablename__ = "legal_pages"
    __table_args__ = (UniqueConstraint("kind", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(5))
    body: Mapped[str] = mapped_column(Text, default="")
