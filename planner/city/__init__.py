"""The city: its identity (name, logo, contact, mail sender), districts, sectors, the paper's template, its
legal pages, the setup of a fresh installation and the removal of the demo.

The package sits after ``people`` (the setup creates the process and fields, and offers the sectors);
packages further left read the city's name and mail sender through ``planner.core.identity``, whose
provider this package registers.
"""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from planner.core import identity
from planner.core.nav import add_nav
from planner.core.permissions import Role

bp = Blueprint("city", __name__, url_prefix="/city")

from planner.city import services, views  # noqa: E402,F401

identity.register_provider(services.identity_snapshot)
add_nav("city.settings", _l("City"), roles=[Role.ADMIN], order=85)
